#pragma once
// The part every LibTorch backbone (Mlp, Egnn, Dit) shares: one torch::nn::Module holds all its
// parameters, and named_parameters(), to(), train() and the copy behind clone() act on that
// module alone. Derived classes keep the module behind their pimpl and hand it out by module().
#include "pita/model/backbone.h"

namespace torch::nn {
class Module;
}  // namespace torch::nn

namespace pita {

class ModuleBackbone : public Backbone {
  public:
    /// The module's named_parameters(), in its registration order.
    NamedTensors named_parameters() const final;
    void to(c10::Device device, c10::ScalarType dtype) final;
    void train(bool on) final;

  protected:
    /// The LibTorch module that holds every parameter of this backbone.
    virtual torch::nn::Module& module() const = 0;
    /// The second half of clone(): gives `copy` (freshly built with the same options) this
    /// backbone's device, dtype, parameter values and training mode. Buffers are not copied:
    /// the backbones have none.
    void copy_parameters_into(ModuleBackbone& copy) const;
};

}  // namespace pita

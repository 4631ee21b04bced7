#!/usr/bin/env python3
"""Joins Google Benchmark JSON (pita) with the PyTorch baseline lines into a Markdown table."""
import json
import re
import sys


def main(pita_json, torch_jsonl):
    pita = {}
    for b in json.load(open(pita_json))["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = re.sub(r"/iterations:\d+", "", b["run_name"].replace("/real_time", ""))
        pita[name] = b
    torch = {}
    train = {}
    for line in open(torch_jsonl):
        d = json.loads(line)
        if "configs_per_s" in d:
            torch[d["name"]] = d["configs_per_s"]
        else:
            train[d["name"]] = d  # training and annealing steps: ms_per_step

    print("| LJ-13 energy+force | batch | dtype | threads | pita fused (configs/s) |"
          " pita LibTorch autograd | PyTorch autograd | fused / PyTorch |")
    print("|---|---|---|---|---|---|---|---|")
    for name, b in sorted(pita.items()):
        if not name.startswith("BM_LennardJones13EnergyForce/"):
            continue
        args = dict(kv.split(":") for kv in name.split("/")[1:])
        key = f"batch:{args['batch']}/bits:{args['bits']}/threads:{args['threads']}"
        auto = pita.get("BM_LennardJones13EnergyForceAutograd/" + key)
        ref = torch.get("pytorch_lj13_energy_force/" + key)
        fused = b["configs/s"]
        print(f"| | {args['batch']} | float{args['bits']} | {args['threads']} | {fused:,.0f} | "
              f"{auto['configs/s']:,.0f} | {ref:,.0f} | **{fused / ref:.1f}×** |")
    print()
    print("| MALA step, LJ-13 | chains | threads | steps/s | chain-steps/s |")
    print("|---|---|---|---|---|")
    for name, b in sorted(pita.items()):
        if name.startswith("BM_MalaStep"):
            args = dict(kv.split(":") for kv in name.split("/")[1:])
            print(f"| | {args['chains']} | {args['threads']} | {b['steps/s']:,.0f} | "
                  f"{b['chain-steps/s']:,.0f} |")
    print()
    print("| training step | batch | threads | pita ms/step | PyTorch ms/step | PyTorch / pita |"
          " pita GFLOP/s (counted) |")
    print("|---|---|---|---|---|---|---|")
    for name, b in sorted(pita.items()):
        if not name.startswith("BM_TrainStep/"):
            continue
        args = dict(kv.split(":") for kv in name.split("/")[1:])
        ref = train.get("pytorch_train_step/" + name[len("BM_TrainStep/"):])
        if ref is None:
            continue
        ms = b["real_time"]  # the benchmark reports milliseconds
        flops = ref.get("flops_per_step")
        rate = f"{flops / ms / 1e6:,.1f}" if flops else "n/a"
        print(f"| {args['model']} | {args['batch']} | {args['threads']} | {ms:,.1f} | "
              f"{ref['ms_per_step']:,.1f} | **{ref['ms_per_step'] / ms:.2f}×** | {rate} |")
    print()
    print("| SDE step (learned models) | divergence | weights | batch | pita ms/step |"
          " pita µs/particle-step | PyTorch ms/step | PyTorch / pita |")
    print("|---|---|---|---|---|---|---|---|")
    for name, b in sorted(pita.items()):
        if not name.startswith("BM_AnnealStep/"):
            continue
        args = dict(kv.split(":") for kv in name.split("/")[1:])
        ref = train.get("pytorch_anneal_step/" + name[len("BM_AnnealStep/"):])
        if ref is None:
            continue
        ms = b["real_time"]
        per = 1e3 * ms / int(args["batch"])
        weights = args.get("weights", "energy")
        print(f"| {args['model']} | {args['divergence']} | {weights} | {args['batch']} | {ms:,.1f} | "
              f"{per:,.0f} | {ref['ms_per_step']:,.1f} | **{ref['ms_per_step'] / ms:.2f}×** |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

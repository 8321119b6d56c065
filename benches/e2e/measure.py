"""Runs commands repeatedly and reports wall time, CPU time (user + system, the child's own
rusage) and peak memory (max RSS) per run, measured with os.wait4 on each child (no
external `time` tool needed).

Usage: python measure.py RUNS LABEL -- CMD ... [--then CMD ...]
A run is the whole sequence of commands (`--then` separates them); its wall and CPU times
are the sums and its peak memory the largest max-RSS of its commands. Prints one JSON
object: {"label", "runs", "wall_s": [...], "median_wall_s", "cpu_s": [...], "median_cpu_s",
"peak_rss_kib": [...], "median_peak_rss_kib"}.
"""

import json
import os
import statistics
import subprocess
import sys
import time


def run_once(commands):
    wall = 0.0
    cpu = 0.0
    peak = 0
    for cmd in commands:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall += time.perf_counter() - start
        cpu += usage.ru_utime + usage.ru_stime
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"command failed ({os.waitstatus_to_exitcode(status)}): {' '.join(cmd)}\n{err}")
        peak = max(peak, usage.ru_maxrss)  # KiB on Linux
    return wall, cpu, peak


def main():
    runs, label = int(sys.argv[1]), sys.argv[2]
    assert sys.argv[3] == "--"
    commands, current = [], []
    for arg in sys.argv[4:]:
        if arg == "--then":
            commands.append(current)
            current = []
        else:
            current.append(arg)
    commands.append(current)
    walls, cpus, peaks = [], [], []
    for _ in range(runs):
        w, c, p = run_once(commands)
        walls.append(w)
        cpus.append(c)
        peaks.append(p)
    print(json.dumps({
        "label": label,
        "runs": runs,
        "wall_s": walls,
        "median_wall_s": statistics.median(walls),
        "cpu_s": cpus,
        "median_cpu_s": statistics.median(cpus),
        "peak_rss_kib": peaks,
        "median_peak_rss_kib": statistics.median(peaks),
    }))


if __name__ == "__main__":
    main()

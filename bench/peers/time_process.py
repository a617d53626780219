"""Times whole processes (start-up included) for W7: runs a command REPS times and prints one JSON line with the median.
Usage: python3 time_process.py IMPL REPS -- command args...
"""
import json
import statistics
import subprocess
import sys
import time

impl, reps = sys.argv[1], int(sys.argv[2])
cmd = sys.argv[sys.argv.index("--") + 1:]
times = []
for _ in range(reps):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    times.append(time.perf_counter() - t0)
print(json.dumps({"workload": "W7", "params": "lesson data, 100 epochs", "impl": impl,
                  "seconds": statistics.median(times), "peak_rss": 0, "runtime": " ".join(cmd[:1])}))

"""A local Ray cluster of two nodes on loopback for the tests and the benchmark: started with
`ray start`, each node with one CPU, torn down by killing exactly the processes it started."""
import os
import signal
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray():
    return os.path.join(os.path.dirname(sys.executable), "ray")


def _children():
    kids = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(pid))
    return kids


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


class LocalCluster:
    """`ray start --head` plus a second `ray start --address` (its own CPU and a `node2` resource), all
    under one temporary directory that names every process of this cluster."""

    def __init__(self, temp_dir, nodes=2, cpus_per_node=1, env=None):
        self.temp_dir = temp_dir
        self.port = free_port()
        self.address = "127.0.0.1:%d" % self.port
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.env["RAY_USAGE_STATS_ENABLED"] = "0"
        common = ["--num-cpus", str(cpus_per_node), "--node-ip-address", "127.0.0.1", "--disable-usage-stats",
                  "--object-store-memory", str(200 << 20)]
        self._start(["start", "--head", "--port", str(self.port), "--temp-dir", temp_dir, "--include-dashboard", "false",
                     "--node-manager-port", str(free_port())] + common)
        for k in range(1, nodes):
            self._start(["start", "--address", self.address, "--resources", '{"node%d": 1}' % (k + 1),
                         "--node-manager-port", str(free_port())] + common)
        self._wait_for(nodes)

    def _start(self, args):
        p = subprocess.run([_ray()] + args, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        if p.returncode != 0:
            self.stop()
            raise RuntimeError("ray %s failed:\n%s" % (" ".join(args), p.stdout.decode()[-2000:]))

    def _wait_for(self, nodes):
        code = ("import ray,sys; ray.init(address=sys.argv[1], log_to_driver=False); "
                "print(sum(1 for n in ray.nodes() if n['Alive']))")
        for _ in range(60):
            out = subprocess.run([sys.executable, "-c", code, self.address], env=self.env, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL).stdout.decode().strip()
            if out.isdigit() and int(out) >= nodes:
                return
            time.sleep(1)
        self.stop()
        raise RuntimeError("the Ray cluster did not reach %d nodes" % nodes)

    def pids(self):
        """Every process of this cluster: Ray's own daemons (gcs_server, raylet, monitor, agents) whose
        command line names this cluster's temp dir, and their descendants (the workers); never this
        process or its ancestors."""
        mine, p = set(), os.getpid()
        while p > 1:
            mine.add(p)
            try:
                with open("/proc/%d/stat" % p) as f:
                    p = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                break
        marker = ("--temp-dir=%s" % self.temp_dir, "--temp_dir=%s" % self.temp_dir, "--log_dir=%s/" % self.temp_dir,
                  "--logs-dir=%s/" % self.temp_dir)
        roots = [int(q) for q in os.listdir("/proc") if q.isdigit() and int(q) not in mine
                 and any(m in _cmdline(int(q)) for m in marker)]
        kids, out, todo = _children(), set(), list(roots)
        while todo:
            p = todo.pop()
            if p in out or p in mine:
                continue
            out.add(p)
            todo += kids.get(p, [])
        return sorted(out)

    def stop(self):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self.pids()
            for p in pids:
                try:
                    os.kill(p, sig)
                except ProcessLookupError:
                    pass
            if not pids:
                return
            time.sleep(2)

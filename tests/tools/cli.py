# Helpers for the command-line tests: run `siommu` on a scenario written to
# a scratch directory, check its exit code and what it said.
import os
import subprocess
import sys
import tempfile


class Cli:
    def __init__(self, name):
        self.name = name
        self.siommu = os.path.abspath(sys.argv[1])
        self.dir = tempfile.mkdtemp(prefix="siommu-" + name + "-")
        self.fails = 0

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text, mode="w"):
        with open(self.path(name), mode) as f:
            f.write(text)
        return self.path(name)

    def run(self, *args, **kw):
        """The tool's exit code, stdout and stderr (text, replaced on bad UTF-8)."""
        kw.setdefault("timeout", 120)
        kw.setdefault("cwd", self.dir)
        kw.setdefault("stdout", subprocess.PIPE)
        p = subprocess.run([self.siommu, *args], stderr=subprocess.PIPE, **kw)
        dec = lambda b: b.decode("utf-8", "replace") if isinstance(b, bytes) else b
        return p.returncode, dec(p.stdout), dec(p.stderr)

    def check(self, what, ok, detail=""):
        if ok:
            print(f"ok   {what}")
        else:
            print(f"FAIL {what}: {detail}")
            self.fails += 1
        return ok

    def expect(self, what, args, rc, pattern=None, stream="stderr", **kw):
        """Run; the exit code must be @rc and @pattern (a substring) must be in
        @stream. Returns (rc, out, err)."""
        got = self.run(*args, **kw)
        text = got[1] if stream == "stdout" else got[2]
        self.check(what, got[0] == rc and (pattern is None or pattern in text),
                   f"exit {got[0]} (expected {rc}), expected {pattern!r} in {stream}; "
                   f"stdout: {got[1][-800:]!r} stderr: {got[2][-800:]!r}")
        return got

    def json(self, what, text):
        """@text parsed as one JSON document, or None with a failed check."""
        import json
        try:
            return json.loads(text)
        except ValueError as e:
            self.check(f"{what}: JSON parses", False, f"{e}: {text!r}")
            return None

    def done(self):
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.fails:
            print(f"{self.fails} checks failed")
            sys.exit(1)
        print("all checks passed")
        sys.exit(0)


# A scenario whose names are as hostile as YAML lets them be: quotes, a
# backslash, a line break, a tab, non-ASCII, DOT, JSON and shell syntax.
HOSTILE_UNIT = 'u"0\\'
HOSTILE_DEV = 'nic"; rm -rf /; \\"\n}\u00e9\u4e2d'
HOSTILE_DOM = 'dom\t"]; digraph x {'


def hostile_yaml():
    import json
    q = lambda s: json.dumps(s, ensure_ascii=False)   # a YAML double-quoted string too
    return f"""units:
  - {{ name: {q(HOSTILE_UNIT)} }}
devices:
  - {{ name: {q(HOSTILE_DEV)}, unit: {q(HOSTILE_UNIT)}, rid: "00:01.0", pasid_bits: 8 }}
domains:
  - name: {q(HOSTILE_DOM)}
    unit: {q(HOSTILE_UNIT)}
    mappings:
      - {{ iova: 0x1000, size: 4K, prot: rw }}
attach:
  - {{ device: {q(HOSTILE_DEV)}, domain: {q(HOSTILE_DOM)} }}
  - {{ device: {q(HOSTILE_DEV)}, domain: {q(HOSTILE_DOM)}, pasid: 3 }}
workload:
  - {{ device: {q(HOSTILE_DEV)}, op: read, iova: 0x1000, count: 4, expect: ok }}
"""

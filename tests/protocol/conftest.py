"""The codec tool (a bridge to the generated codecs), started once per session."""

import os
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOL = Path(os.environ.get("KAFKA_CODEC_TOOL")
            or REPO_ROOT / "build" / "release" / "bin" / "kafka_codec_tool")


class CodecTool:
    def __init__(self):
        if not TOOL.is_file():
            pytest.exit(f"{TOOL} not found: build it first (make build)", returncode=4)
        self.proc = subprocess.Popen([str(TOOL)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def ask(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().rstrip("\n")

    def messages(self):
        """{name: (min_version, max_version)} of every generated message."""
        self.proc.stdin.write("list\n")
        self.proc.stdin.flush()
        out = {}
        for line in iter(self.proc.stdout.readline, "END\n"):
            name, lo, hi = line.split()
            out[name] = (int(lo), int(hi))
        return out

    def recode(self, name, version, data):
        """Decodes `data` as message `name` at `version` and encodes it again."""
        answer = self.ask(f"{name} {version} {data.hex()}")
        status, _, rest = answer.partition(" ")
        if status != "OK":
            raise AssertionError(f"{name} v{version} did not decode: {rest}\n"
                                 f"bytes: {data.hex()}")
        return bytes.fromhex(rest)

    def close(self):
        self.proc.stdin.close()
        assert self.proc.wait(timeout=10) == 0


@pytest.fixture(scope="session")
def codec():
    tool = CodecTool()
    yield tool
    tool.close()


def api_names():
    """{api_key: api name} from our definitions."""
    import json
    names = {}
    for path in (REPO_ROOT / "src" / "kafka" / "protocol" / "defs").glob("*.json"):
        d = json.loads(path.read_text())
        if "api" in d:
            names[d["key"]] = d["api"]
    return names

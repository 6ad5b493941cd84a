#!/usr/bin/env python3
"""Checks `make package`'s output: one zip per function folder, each holding exactly an arm64
Linux executable named `bootstrap` (what a `provided.al2023` arm64 Lambda runs). Prints each
artifact's size."""
import pathlib, struct, sys, zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
EM_AARCH64 = 183

functions = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "Cargo.toml").exists())
problems, total = [], 0
for name in functions:
    artifact = ROOT / "target" / "lambda" / name / "bootstrap.zip"
    if not artifact.exists():
        problems.append(f"{name}: no {artifact.relative_to(ROOT)}")
        continue
    with zipfile.ZipFile(artifact) as z:
        names = z.namelist()
        if names != ["bootstrap"]:
            problems.append(f"{name}: the zip holds {names}, not just bootstrap")
            continue
        info = z.getinfo("bootstrap")
        head = z.read("bootstrap")[:20]
        executable = (info.external_attr >> 16) & 0o111
    elf = head[:4] == b"\x7fELF" and head[4] == 2  # 64-bit
    machine = struct.unpack_from("<H", head, 18)[0] if elf else None
    if not elf or machine != EM_AARCH64:
        problems.append(f"{name}: bootstrap is not a 64-bit arm64 ELF (machine {machine})")
    if not executable:
        problems.append(f"{name}: bootstrap is not executable in the zip")
    size = artifact.stat().st_size
    total += size
    print(f"{name:16} {size / 2**20:6.1f} MiB zipped, {info.file_size / 2**20:6.1f} MiB bootstrap (arm64)")
print(f"{len(functions)} functions, {total / 2**20:.1f} MiB zipped in all")
for p in problems:
    print("PROBLEM", p)
sys.exit(1 if problems else 0)

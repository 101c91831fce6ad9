#!/usr/bin/env python3
"""Turns bench/run's work dir (sharedroot-boottest's reports and serial logs, build times,
sizes) into bench/results/latest.md,
latest-boots.tsv and the data files plot.gp draws. Standard library only."""
import argparse
import glob
import json
import os
import re
import statistics

PEERS = ["floor", "initramfs-tools", "overlayroot-tmpfs", "overlayroot-device", "dracut",
         "tiny-initramfs"]
OURS = ["sharedroot-off", "sharedroot-volatile", "sharedroot-instance"]
RECONCILE_ROWS = ["sharedroot-reconcile-unchanged", "sharedroot-reconcile-updated"]
WHAT = {
    "floor": "busybox sh: insmod virtio, mount ro, switch_root",
    "initramfs-tools": "Debian's mkinitramfs (host's initramfs.conf)",
    "overlayroot-tmpfs": "initramfs-tools + overlayroot, overlayroot=tmpfs",
    "overlayroot-device": "initramfs-tools + overlayroot, overlayroot=device:dev=/dev/vdb",
    "dracut": "dracut (Debian 12, generic image, systemd in the initramfs)",
    "tiny-initramfs": "tiny-initramfs (mktirfs, virtio modules)",
    "sharedroot-off": "sharedroot-init, sharedroot=off (plain boot)",
    "sharedroot-volatile": "sharedroot-init, volatile: tmpfs uppers for /etc,/var",
    "sharedroot-instance": "sharedroot-init, instance disk /dev/vdb, /etc,/var overlays, sharedroot.reconcile=off",
    "sharedroot-reconcile-unchanged": "as sharedroot-instance with sharedroot.reconcile=safe (the default); "
                                      "the instance disk has host changes and has booted on this base "
                                      "since (nothing left to reconcile), shut down cleanly",
    "sharedroot-reconcile-updated": "the instance disk with the host's changes booted on base v2 (20 files "
                                    "updated, 10 of them "
                                    "also changed by the host, 20 new, /etc/passwd updated)",
}
TOOL_NAMES = {"floor": "floor (hand-made)", "sharedroot": "sharedroot-mkinitramfs",
              "itools": "mkinitramfs (initramfs-tools)", "overlayroot": "mkinitramfs + overlayroot",
              "tiny": "mktirfs (tiny-initramfs)", "dracut": "dracut"}
STAGES = ["early", "devices", "root", "instance", "reconcile", "overlay", "tmp-swap"]


def read_log(path):
    """The BENCH lines of a serial log (what the booted system saw: mounts, memory, the
    reconcile log), or None when it cannot be read."""
    d = {"state": {}, "kmsg": [], "mounts": []}
    try:
        with open(path, errors="replace") as f:
            text = f.read().replace("\r", "")
    except OSError:
        return None
    for line in text.splitlines():
        m = re.search(r"BENCH ([a-z_.A-Z0-9]+)=(.*)$", line)
        if not m:
            continue
        k, v = m.group(1), m.group(2)
        if k.startswith("reconcile_log"):
            d.setdefault("reconcile_log", []).append(v)
        elif k.startswith("state."):
            d["state"][k[6:]] = v.strip('"')
        elif k == "kmsg":
            d["kmsg"].append(v)
        elif k == "mount":
            d["mounts"].append(v)
        else:
            d[k] = v
    return d


def load_run(work, name):
    """sharedroot-boottest's report of one run (WORK/NAME/report.json), or None."""
    try:
        with open(os.path.join(work, name, "report.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def boot_data(work, run_name, b):
    """One measured boot of a boottest report: its times (the guest's clock at the probe's
    "BENCH uptime" line, the kernel's "Run /init"), the stage times of sharedroot-init's
    handoff line, and what the probe printed; {"failed": ...} for a failed boot."""
    if not b["ok"]:
        return {"failed": True, "reason": b.get("reason") or b["result"],
                "log": os.path.join(work, run_name, b["log"] or "")}
    m = b["metrics"]
    d = read_log(os.path.join(work, run_name, b["log"])) or {"state": {}, "mounts": []}
    d["total"] = m["time"] / 1000 if "time" in m else None
    d["run_init_f"] = m["kernel"] / 1000 if "kernel" in m else None
    d["phase"] = d["total"] - d["run_init_f"] if None not in (d["total"], d["run_init_f"]) else None
    d["wall"] = m["wall"] / 1000 if "wall" in m else None
    d["load"] = b.get("host_load")
    try:
        d["mem"] = int(d["mem_used_kb"])
    except (KeyError, ValueError):
        d["mem"] = None
    # the stages as /run/sharedroot/state names them (STAGE_X_MS, INITRAMFS_MS)
    for k, v in m.items():
        if k in STAGES or k == "switch":
            d["state"]["STAGE_%s_MS" % k.upper().replace("-", "_")] = str(int(v))
    if "init" in m:
        d["state"]["INITRAMFS_MS"] = str(int(m["init"]))
    if d["total"] is None:
        return {"failed": True, "reason": "no BENCH uptime line", "log": b["log"]}
    return d


def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return (statistics.median(xs), min(xs), max(xs), len(xs))


def fmt(x, nd=2):
    return "–" if x is None else f"{x:.{nd}f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--suffix", default="")
    a = ap.parse_args()
    data = os.path.join(a.work, "data")
    meta = {}
    with open(os.path.join(data, "meta")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            meta[k] = v
    reconcile_avail = open(os.path.join(data, "reconcile-available")).read().strip() == "1"
    dracut_skip = None
    if os.path.exists(os.path.join(data, "dracut.skip")):
        dracut_skip = open(os.path.join(data, "dracut.skip")).read().strip()

    # ---- boots (sharedroot-boottest's run "boots"; warm-up boots are not counted)
    boots = {}  # config -> list of boot data
    failed = {}
    raw = []
    loads = []
    brun = load_run(a.work, "boots") or {"boots": []}
    for b in brun["boots"]:
        if b["warmup"]:
            continue
        cfg, rnd = b["config"], b["rep"]
        d = boot_data(a.work, "boots", b)
        wall_ms = b["metrics"].get("wall", "")
        if d.get("failed"):
            failed.setdefault(cfg, []).append("%s (%s)" % (d["log"], d["reason"]))
            raw.append((cfg, rnd, "FAIL", "", "", "", "", wall_ms))
            continue
        if d["load"] is not None:
            loads.append(d["load"])
        boots.setdefault(cfg, []).append(d)
        raw.append((cfg, rnd, "ok", d["total"], d["run_init_f"], fmt(d["phase"], 3), d["mem"], wall_ms))
    S = {}
    for cfg, ds in boots.items():
        S[cfg] = {
            "total": stats([d["total"] for d in ds]),
            "phase": stats([d["phase"] for d in ds]),
            "runinit": stats([d["run_init_f"] for d in ds]),
            "mem": stats([d["mem"] / 1024 for d in ds]),
            "wall": stats([d["wall"] for d in ds]),
            "root": ds[-1].get("root_fstype", "?"),
            "etc": ds[-1].get("etc_fstype", "?"),
            "n": len(ds),
        }
    med = lambda cfg, k: S[cfg][k][0] if cfg in S and S[cfg][k] else None  # noqa: E731
    peers = [p for p in PEERS if p in S]

    out = []
    w = out.append
    title = "sharedroot benchmarks" + (" (QUICK run: 1 rep, subset; not for publishing)" if a.suffix else "")
    w(f"# {title}\n")
    w(f"- date: {meta.get('date')}; run took {int(meta.get('duration_s', 0)) // 60} min")
    w(f"- machine: {meta.get('machine')}; host kernel {meta.get('host_kernel')}")
    w(f"- guest kernel: {meta.get('guest_kernel')} (the same vmlinuz for every configuration)")
    w(f"- QEMU: {meta.get('qemu')}; accelerator: **{meta.get('accel')}** ({meta.get('accel_note', '')})")
    w("- every boot run by sharedroot-boottest (docs/sharedroot-boottest.1): its report.json and "
      "the serial logs are in the work dir (boots/, conc-nN/)")
    cfgs = brun.get("configs") or [{}]
    w(f"- QEMU flags (all configurations): `{meta.get('qemu_flags')}`; kernel command line "
      f"`{cfgs[0].get('cmdline', '?')}` ({cfgs[0].get('name', '?')}; the others differ in the "
      "configuration's own words)")
    w(f"- repetitions: {meta.get('reps')} measured boots per configuration after one warm-up round, "
      "interleaved (A B C … A B C …), one guest at a time; builds likewise")
    w(f"- versions: sharedroot {meta.get('sharedroot')}, initramfs-tools {meta.get('initramfs_tools')}, "
      f"overlayroot {meta.get('overlayroot') or '–'} (unpacked, not installed), "
      f"tiny-initramfs-core {meta.get('tiny') or '–'} (unpacked), "
      f"dracut {(meta.get('dracut') or '').replace('dracut ', '') or 'SKIPPED'} "
      f"(debootstrap chroot), busybox-static {meta.get('busybox')}")
    other = meta.get("other_qemus", "")
    if loads:
        w(f"- host load average (1 min) when each guest ended: median {statistics.median(loads):.1f}, "
          f"max {max(loads):.1f} (the host has {meta.get('machine', '?').split(',')[-2].strip()}; "
          "other work on the machine widens the min–max)")
    elif other:
        w(f"- other QEMUs on the machine at the start: {other}")
    hb, ha = meta.get("host_initrd_before"), meta.get("host_initrd_after")
    w(f"- host's /boot/initrd.img: sha256 {hb} before, {ha} after: "
      f"{'unchanged' if hb == ha else '**CHANGED**'}; test root image unchanged by the boots: "
      f"{meta.get('root_unchanged')}")
    w("")

    # 1. boot time
    w("## 1. Boot time (guest clock, seconds)\n")
    w("*kernel → init*: the guest's /proc/uptime when the probe (the real /sbin/init) starts "
      "(its first line, `BENCH uptime=`: sharedroot-boottest's `time` pattern). "
      "*phase*: that minus the kernel's timestamp of \"Run /init as init process\" on the "
      "console: the time spent in the initramfs. *before /init*: the kernel's own part, including "
      "unpacking the initramfs. *host wall*: QEMU start to the probe's last line on the host "
      "(includes QEMU's start and the probe's own work).\n")
    w("| configuration | guest saw / , /etc | n | kernel → init median | min | max | phase median | min | max | before /init | host wall |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    for cfg in PEERS + OURS + RECONCILE_ROWS:
        if cfg in S:
            s = S[cfg]
            t, p = s["total"], s["phase"]
            w(f"| {cfg} | {s['root']}, {s['etc']} | {s['n']} | **{fmt(t[0])}** | {fmt(t[1])} | {fmt(t[2])} | "
              f"**{fmt(p[0], 3)}** | {fmt(p[1], 3)} | {fmt(p[2], 3)} | {fmt(med(cfg, 'runinit'))} | "
              f"{fmt(med(cfg, 'wall'), 1)} |")
        elif cfg in RECONCILE_ROWS and not reconcile_avail:
            w(f"| {cfg} | not available yet (no sharedroot.reconcile= in init/cmdline.c) | | | | | | | | | |")
        elif cfg == "dracut" and dracut_skip:
            w(f"| dracut | SKIP: {dracut_skip} | | | | | | | | | |")
        elif cfg in failed:
            w(f"| {cfg} | FAILED ({len(failed[cfg])} boots; see {failed[cfg][0]}) | | | | | | | | | |")
        else:
            w(f"| {cfg} | not run | | | | | | | | | |")
    w("")
    w("Configurations:\n")
    for cfg in PEERS + OURS + RECONCILE_ROWS:
        w(f"- **{cfg}**: {WHAT[cfg]}")
    w("")
    for key, label in (("phase", "initramfs phase"), ("total", "kernel → init")):
        w(f"Ratio of medians, {label}: row ÷ column (below 1.00: the row is faster)\n")
        w("| | " + " | ".join(peers) + " |")
        w("|---" * (len(peers) + 1) + "|")
        for cfg in [c for c in OURS + RECONCILE_ROWS + PEERS if c in S]:
            w(f"| {cfg} | " + " | ".join(ratio(med(cfg, key), med(p, key)) for p in peers) + " |")
        w("")

    # 2. stages
    w("## 2. sharedroot-init per stage (ms, median [min–max], from its handoff line)\n")
    w("*INITRAMFS_MS*: the handoff line's `init_ms`, from sharedroot-init's main() to the line "
      "just before the real init runs; *other*: that minus the stages: hooks run after a stage, "
      "logging, the time between stages. The dynamic loader's time is in *phase* but not here.\n")
    cols = STAGES + ["switch", "other", "INITRAMFS_MS"]
    w("| configuration | " + " | ".join(cols) + " |")
    w("|---" * (len(cols) + 1) + "|")
    for cfg in OURS + RECONCILE_ROWS:
        if cfg not in boots:
            continue
        cells = []
        for st in cols:
            vals = []
            for d in boots[cfg]:
                sd = d["state"]
                if st == "other":
                    try:
                        vals.append(int(sd["INITRAMFS_MS"]) - sum(
                            int(sd.get(f"STAGE_{x.upper().replace('-', '_')}_MS", 0)) for x in STAGES + ["switch"]))
                    except (KeyError, ValueError):
                        pass
                    continue
                key = st if st == "INITRAMFS_MS" else f"STAGE_{st.upper().replace('-', '_')}_MS"
                if key in sd:
                    vals.append(int(sd[key]))
            s = stats(vals)
            cells.append("–" if s is None else f"{s[0]:.0f} [{s[1]:.0f}–{s[2]:.0f}]")
        w(f"| {cfg} | " + " | ".join(cells) + " |")
    w("")

    # 3. concurrency
    w("## 3. Concurrent boots (guest clock kernel → init, seconds; median [min–max] over every "
      "measured boot)\n")
    w("All guests boot the same root image file (readonly=on); *plain*: sharedroot=off (no "
      "overlays); *overlay*: an instance disk per guest (a copy of one that booted once) with /etc "
      "and /var overlays. One sharedroot-boottest run per number of guests N, with N jobs: N guests "
      "boot at any time, plain and overlay interleaved. Each guest has 1 vCPU; the host has "
      + meta.get("machine", "?").split(",")[-2].strip() + ".\n")
    conc = {}
    for dd in sorted(glob.glob(os.path.join(a.work, "conc-n*"))):
        n = int(dd.rsplit("-n", 1)[1])
        crun = load_run(a.work, os.path.basename(dd))
        if not crun:
            continue
        for name in ("plain", "overlay"):
            vals, fails = [], 0
            for b in crun["boots"]:
                if b["config"] != name or b["warmup"]:
                    continue
                d = boot_data(a.work, os.path.basename(dd), b)
                if d.get("failed"):
                    fails += 1
                else:
                    vals.append(d["total"])
            conc[(name, n)] = (stats(vals), fails)
    ns = sorted({n for (_, n) in conc})
    w("| guests | plain median | min | max | overlay median | min | max | overlay cost | plain ÷ plain(1) | overlay ÷ overlay(1) | failed boots |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    cdat = []
    for n in ns:
        pl, ov = conc.get(("plain", n), (None, 0)), conc.get(("overlay", n), (None, 0))
        p0, o0 = conc.get(("plain", 1), (None, 0))[0], conc.get(("overlay", 1), (None, 0))[0]
        pm = pl[0][0] if pl[0] else None
        om = ov[0][0] if ov[0] else None
        cost = f"{(om / pm - 1) * 100:+.1f}%" if pm and om else "–"
        w(f"| {n} | {fmt(pm)} | {fmt(pl[0][1] if pl[0] else None)} | {fmt(pl[0][2] if pl[0] else None)} | "
          f"{fmt(om)} | {fmt(ov[0][1] if ov[0] else None)} | {fmt(ov[0][2] if ov[0] else None)} | {cost} | "
          f"{ratio(pm, p0[0] if p0 else None)} | {ratio(om, o0[0] if o0 else None)} | {pl[1] + ov[1]} |")
        if pl[0] and ov[0]:
            cdat.append((n, pm, pl[0][1], pl[0][2], om, ov[0][1], ov[0][2]))
    w("\nFor comparison, the classic shared-image study (unionfs against full copies, 1–4 guests): "
      "7.0, 9.7, 12.2, 14.2 s with full copies and 9.0, 10.0, 14.7, 17.5 s with unionfs "
      "(+29% for one guest).\n")

    # 4. initramfs
    w("## 4. Initramfs images for the same kernel\n")
    w("*uncompressed*: the unpacked files (hard links counted once; unmkinitramfs), *files*: "
      "regular files, *modules*: .ko files. Build time: wall clock of the tool, median of the "
      "timed builds (one untimed build before them warms the caches).\n")
    sizes = {}
    for line in open(os.path.join(data, "sizes.tsv")):
        t, c, u, nf, nm = line.split()
        sizes[t] = (int(c), int(u), int(nf), int(nm))
    bt = {}
    for line in open(os.path.join(data, "builds.tsv")):
        t, _, ms = line.split()
        bt.setdefault(t, []).append(int(ms) / 1000)
    order = [t for t in ("sharedroot", "floor", "tiny", "itools", "overlayroot", "dracut") if t in sizes]
    w("| tool | compressed (KiB) | uncompressed (KiB) | files | modules | build median (s) | min | max | size ÷ mkinitramfs | size ÷ dracut | build ÷ mkinitramfs | build ÷ dracut |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for t in order:
        c, u, nf, nm = sizes[t]
        b = stats(bt.get(t, []))
        bi, bd = stats(bt.get("itools", [])), stats(bt.get("dracut", []))
        w(f"| {TOOL_NAMES[t]} | {c // 1024} | {u // 1024} | {nf} | {nm} | {fmt(b[0] if b else None, 3)} | "
          f"{fmt(b[1] if b else None, 3)} | {fmt(b[2] if b else None, 3)} | "
          f"{ratio(c, sizes['itools'][0] if 'itools' in sizes else None)} | "
          f"{ratio(c, sizes['dracut'][0] if 'dracut' in sizes else None)} | "
          f"{ratio(b[0] if b else None, bi[0] if bi else None)} | {ratio(b[0] if b else None, bd[0] if bd else None)} |")
    if dracut_skip:
        w(f"\ndracut: SKIP ({dracut_skip}).")
    w("")

    # 5. memory
    w("## 5. Memory in use when the real init starts (MemTotal − MemAvailable, MiB; guest has 512 MiB)\n")
    w("| configuration | median | min | max | ÷ floor | ÷ initramfs-tools | ÷ tiny-initramfs | ÷ dracut |")
    w("|---|---|---|---|---|---|---|---|")
    for cfg in PEERS + OURS:
        if cfg in S and S[cfg]["mem"]:
            m = S[cfg]["mem"]
            w(f"| {cfg} | {m[0]:.1f} | {m[1]:.1f} | {m[2]:.1f} | {ratio(m[0], med('floor', 'mem'))} | "
              f"{ratio(m[0], med('initramfs-tools', 'mem'))} | {ratio(m[0], med('tiny-initramfs', 'mem'))} | "
              f"{ratio(m[0], med('dracut', 'mem'))} |")
    w("")

    # 6. reconcile
    w("## 6. Reconcile\n")
    if reconcile_avail:
        w("The reconcile stage's time (ms, median [min–max]) and its cost in the whole initramfs "
          "phase against the same instance disk layout with sharedroot.reconcile=off:\n")
        w("| configuration | reconcile stage | phase median (s) | phase − sharedroot-instance's (ms) |")
        w("|---|---|---|---|")
        for cfg in ["sharedroot-instance"] + RECONCILE_ROWS:
            if cfg not in boots:
                continue
            vals = [int(d["state"]["STAGE_RECONCILE_MS"]) for d in boots[cfg] if "STAGE_RECONCILE_MS" in d["state"]]
            s_ = stats(vals)
            dp = (med(cfg, "phase") - med("sharedroot-instance", "phase")) * 1000 if "sharedroot-instance" in S else None
            w(f"| {cfg} | {'–' if not s_ else f'{s_[0]:.0f} [{s_[1]:.0f}–{s_[2]:.0f}]'} | {fmt(med(cfg, 'phase'), 3)} | "
              f"{'–' if dp is None else f'{dp:+.0f}'} |")
        for cfg in RECONCILE_ROWS:
            if cfg in boots and boots[cfg][-1].get("reconcile_log"):
                w(f"\nWhat the init said in the last {cfg} boot:\n")
                w("```")
                for l_ in boots[cfg][-1]["reconcile_log"]:
                    w(l_)
                w("```")
        w("")
    else:
        w("Not available yet: init/cmdline.c has no sharedroot.reconcile= (the reconcile stage "
          "runs, see its time in table 2, but cannot be configured).\n")

    # goals
    w("## Goals\n")
    g = []
    tiny_p, floor_p, it_p = med("tiny-initramfs", "phase"), med("floor", "phase"), med("initramfs-tools", "phase")
    for cfg in ("sharedroot-reconcile-unchanged", "sharedroot-reconcile-updated", "sharedroot-instance",
                "sharedroot-volatile"):
        v = med(cfg, "phase")
        if v is not None and tiny_p:
            g.append(f"- initramfs phase of {cfg} at or below tiny-initramfs': {v:.3f} s against "
                     f"{tiny_p:.3f} s: {'**met**' if v <= tiny_p else f'**missed** by {(v / tiny_p - 1) * 100:.0f}%'}")
    if tiny_p and floor_p and it_p:
        g.append(f"- (for reference: tiny-initramfs' phase is {tiny_p / floor_p:.2f}× the floor's "
                 f"and {tiny_p / it_p:.3f}× initramfs-tools'; the issue expected about 0.5 and 0.11)")
    gcfg = "sharedroot-reconcile-unchanged" if "sharedroot-reconcile-unchanged" in S else "sharedroot-instance"
    v = med(gcfg, "total")
    if v is not None:
        fl = med("floor", "total")
        best = min((med(p, "total"), p) for p in peers if p != "floor" and med(p, "total"))
        if fl:
            g.append(f"- kernel → init of {gcfg} at or below the floor: {v:.2f} s against "
                     f"{fl:.2f} s: {'**met**' if v <= fl else f'**missed** by {(v / fl - 1) * 100:.0f}%'}")
        g.append(f"- … and below every peer (fastest peer besides the floor: {best[1]}, {best[0]:.2f} s): "
                 f"{'**met**' if v < best[0] else f'**missed** by {(v / best[0] - 1) * 100:.0f}%'}")
    if "sharedroot" in sizes and "itools" in sizes:
        r = sizes["sharedroot"][0] / sizes["itools"][0]
        g.append(f"- compressed size at most ¼ of initramfs-tools': {r:.2f}: "
                 f"{'**met**' if r <= 0.25 else f'**missed** ({r / 0.25:.1f}× the target)'}")
    if bt.get("sharedroot") and bt.get("itools"):
        r = statistics.median(bt["sharedroot"]) / statistics.median(bt["itools"])
        g.append(f"- build time at most 1/10 of mkinitramfs': {r:.3f}: {'**met**' if r <= 0.1 else '**missed**'}")
    off, inst = med("sharedroot-off", "total"), med("sharedroot-instance", "total")
    if off and inst:
        c = (inst / off - 1) * 100
        g.append(f"- overlay cost against a plain boot under 2% (single guest, kernel → init, "
                 f"sharedroot-instance against sharedroot-off): {c:+.1f}%: {'**met**' if c < 2 else '**missed**'}")
    offp, instp = med("sharedroot-off", "phase"), med("sharedroot-instance", "phase")
    if offp and instp:
        g.append(f"  (initramfs phase: {offp:.3f} s plain, {instp:.3f} s with the instance layer, "
                 f"{(instp - offp) * 1000:+.0f} ms)")
    if cdat:
        last = cdat[-1]
        ps, os_ = last[1] / cdat[0][1], last[4] / cdat[0][4]
        g.append(f"- concurrent-boot scaling no worse than plain: {last[0]} guests ÷ 1 guest = "
                 f"{os_:.2f} with overlays, {ps:.2f} plain: {'**met**' if os_ <= ps * 1.02 else '**missed**'}")
    out.extend(g)
    w("")

    suffix = a.suffix
    with open(os.path.join(a.out, f"latest{suffix}.md"), "w") as f:
        f.write("\n".join(out) + "\n")
    with open(os.path.join(a.out, f"latest{suffix}-boots.tsv"), "w") as f:
        f.write("config\tround\tresult\tkernel_to_init_s\trun_init_s\tphase_s\tmem_used_kb\thost_wall_ms\n")
        for r in raw:
            f.write("\t".join(str(x) for x in r) + "\n")
    # plot data
    with open(os.path.join(a.out, f"plot{suffix}-boots.dat"), "w") as f:
        f.write("# name before_run_init phase total min max\n")
        for cfg in PEERS + OURS + RECONCILE_ROWS:
            if cfg in S:
                t = S[cfg]["total"]
                f.write(f"{cfg} {t[0] - S[cfg]['phase'][0]:.3f} {S[cfg]['phase'][0]:.3f} {t[0]:.3f} {t[1]:.3f} {t[2]:.3f}\n")
    with open(os.path.join(a.out, f"plot{suffix}-conc.dat"), "w") as f:
        f.write("# n plain min max overlay min max\n")
        for row in cdat:
            f.write(" ".join(f"{x:.3f}" if isinstance(x, float) else str(x) for x in row) + "\n")


if __name__ == "__main__":
    main()

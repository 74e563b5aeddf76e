//! A real `dartboard serve` on port 0 with its own data directory, and HTTP and websocket
//! clients for it.
#![allow(dead_code)]
use futures_util::StreamExt;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub dir: PathBuf,
    pub http: reqwest::Client,
}

impl Server {
    /// Starts the server on `dir` (kept between restarts) with extra flags and environment.
    pub fn start_in(dir: &Path, addr: &str, flags: &[&str], env: &[(&str, &str)]) -> Server {
        Server::start_as(dir, addr, flags, env, None)
    }

    /// As `start_in`, as the user and group `user` when given (the test runs as root: a server
    /// that is not root meets file permissions).
    pub fn start_as(
        dir: &Path,
        addr: &str,
        flags: &[&str],
        env: &[(&str, &str)],
        user: Option<(u32, u32)>,
    ) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dartboard"));
        if let Some((uid, gid)) = user {
            use std::os::unix::process::CommandExt;
            cmd.uid(uid).gid(gid);
        }
        cmd.args(["serve", "--addr", addr, "--data-dir"])
            .arg(dir)
            .args(flags);
        // The same suites against PostgreSQL: `make test` runs them again with this set.
        if std::env::var("DARTBOARD_TEST_STORE").as_deref() == Ok("postgres")
            && !flags.contains(&"--database")
        {
            cmd.args(["--database", &database_for(dir)]);
        }
        cmd
            // Tests run side by side on few cores: one libtorch thread per worker.
            .args(["--worker-threads", "1"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start dartboard serve");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the address line");
        let url = line
            .trim()
            .strip_prefix("dartboard listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
        let port = url.rsplit(':').next().expect("port");
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir: dir.to_path_buf(),
            // No connection reuse: a request refused before its body was read (a 401 or 413
            // upload) leaves its connection closed by the server, and the next request on it fails.
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("HTTP client"),
        }
    }

    pub fn start(name: &str) -> Server {
        let dir = scratch(name);
        Server::start_in(&dir, "127.0.0.1:0", &[], &[])
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("{}{path}", self.base.replacen("http", "ws", 1))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.http.get(self.url(path)).send().await.expect("GET");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Uploads files (form field, path) with text fields; returns the status and the JSON.
    pub async fn upload(&self, files: &[(&str, &Path)], fields: &[(&str, &str)]) -> (u16, Value) {
        let mut form = reqwest::multipart::Form::new();
        for (field, path) in files {
            let bytes = std::fs::read(path).expect("read upload");
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .to_string();
            form = form.part(
                field.to_string(),
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
        }
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        let r = self
            .http
            .post(self.url("/api/datasets"))
            .multipart(form)
            .send()
            .await
            .expect("upload");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Uploads the sample digits and returns the dataset id.
    pub async fn digits(&self) -> String {
        let (status, body) = self.upload(&[("file", &sample())], &[]).await;
        assert!(status == 201 || status == 200, "{status} {body}");
        body["id"].as_str().expect("id").to_string()
    }

    /// Creates a run; panics unless 201.
    pub async fn create_run(&self, dataset: &str, config: Value) -> i64 {
        let (status, body) = self
            .post(
                "/api/runs",
                &serde_json::json!({"dataset_id": dataset, "kind": "search", "config": config}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().expect("id")
    }

    /// Polls until the run's status is one of `want`.
    pub async fn wait_status(&self, id: i64, want: &[&str], within: Duration) -> Value {
        let start = Instant::now();
        loop {
            let (_, run) = self.get(&format!("/api/runs/{id}")).await;
            if want.iter().any(|w| run["status"] == *w) {
                return run;
            }
            assert!(
                start.elapsed() < within,
                "run {id} still {} after {within:?}: {run}",
                run["status"]
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Polls until the run has finished `epoch` epochs (at most 240 s).
    pub async fn wait_for_epoch(&self, id: i64, epoch: i64) {
        let start = Instant::now();
        while self.get(&format!("/api/runs/{id}")).await.1["epoch"]
            .as_i64()
            .unwrap_or(0)
            < epoch
        {
            assert!(
                start.elapsed() < Duration::from_secs(240),
                "run {id} never reached epoch {epoch}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every event of the run's websocket until the server closes it.
    pub async fn follow(&self, path: &str) -> Vec<Value> {
        let (mut ws, _) = tokio_tungstenite::connect_async(self.ws_url(path))
            .await
            .expect("websocket");
        let mut events = vec![];
        while let Some(msg) = tokio::time::timeout(Duration::from_secs(240), ws.next())
            .await
            .expect("event within 240 s")
        {
            match msg.expect("message") {
                Message::Text(t) => events.push(serde_json::from_str(&t).expect("JSON event")),
                Message::Close(_) => break,
                _ => {}
            }
        }
        events
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An error answer's message (`{"error": ...}`), or the whole body.
pub fn message(body: &Value) -> String {
    body["error"]
        .as_str()
        .map_or_else(|| body.to_string(), str::to_string)
}

/// The fields a 422 answer names.
pub fn fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|x| x["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A fresh folder for test `name`. The PostgreSQL pass gets folders of its own: `make test`
/// runs it beside the first pass of the same suites.
pub fn scratch(name: &str) -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    if std::env::var("DARTBOARD_TEST_STORE").as_deref() == Ok("postgres") {
        dir.push("postgres");
    }
    let dir = dir.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A PostgreSQL database of its own for the server on `dir`: made afresh the first time (a
/// marker file in `dir` says it was), kept for the restarts of a server on the same folder.
/// Needs DARTBOARD_TEST_POSTGRES, a URL whose role may create databases
/// (scripts/scaleout/with-cluster sets it).
pub fn database_for(dir: &Path) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut h);
    let name = format!("t_{:016x}", h.finish());
    let marker = dir.join(".test-database");
    if !marker.exists() {
        fresh_database(&name);
        std::fs::create_dir_all(dir).expect("server dir");
        std::fs::write(&marker, &name).expect("marker");
    }
    postgres_url(&name)
}

/// The test PostgreSQL's URL for database `name`.
pub fn postgres_url(name: &str) -> String {
    let admin = std::env::var("DARTBOARD_TEST_POSTGRES").expect(
        "DARTBOARD_TEST_POSTGRES is not set: run under scripts/scaleout/with-cluster (make test does)",
    );
    let base = admin.rsplit_once('/').expect("a postgres:// URL").0;
    format!("{base}/{name}")
}

/// Drops and creates database `name` on the test PostgreSQL (through psql).
pub fn fresh_database(name: &str) {
    let admin = postgres_url("postgres");
    let out = Command::new("psql")
        .arg(&admin)
        .args(["-q", "-v", "ON_ERROR_STOP=1"])
        .args([
            "-c",
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        ])
        .args(["-c", &format!("CREATE DATABASE {name}")])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn datasets() -> PathBuf {
    let dir = std::env::var_os("DARTBOARD_DATASETS")
        .map(PathBuf::from)
        .expect("DARTBOARD_DATASETS is not set: run the tests with `make test`");
    assert!(
        dir.is_dir(),
        "DARTBOARD_DATASETS={} is not a folder",
        dir.display()
    );
    dir
}

pub fn sample() -> PathBuf {
    datasets().join("sklearn-digits/digits.csv.gz")
}

/// The statuses a run's events went through, in order.
pub fn statuses(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .filter(|e| e["type"] == "status")
        .filter_map(|e| e["status"].as_str())
        .collect()
}

/// Sequence numbers run 0, 1, 2, ... with no gap or repeat.
pub fn assert_contiguous(events: &[Value]) {
    let seqs: Vec<i64> = events
        .iter()
        .map(|e| e["seq"].as_i64().expect("seq"))
        .collect();
    let want: Vec<i64> = (0..seqs.len() as i64).collect();
    assert_eq!(seqs, want, "events must arrive once each, in order");
}

/// The pid of the worker process of run `id` (from /proc).
pub fn worker_pid(id: i64, dir: &Path) -> Option<i32> {
    let needle = format!("worker\0--run\0{id}\0--data-dir\0{}", dir.display());
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: i32 = e.file_name().to_str()?.parse().ok()?;
        let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
        String::from_utf8_lossy(&cmd)
            .contains(&needle)
            .then_some(pid)
    })
}

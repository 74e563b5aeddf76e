//! What every handler is given: the server's store, hub, runner, importer and limits.
use super::hosts::Hosts;
use super::throttle::Throttle;
use crate::hub::Hub;
use crate::runner::Runner;
use crate::store::Store;
use std::path::PathBuf;
use std::sync::Arc;

/// What `dartboard serve` was started with.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest upload (both files together), bytes.
    pub upload_bytes: u64,
    /// Largest JSON request body, bytes.
    pub body_bytes: usize,
    /// Most runs waiting in the queue.
    pub queued_runs: i64,
    /// Free bytes the data directory keeps: below them no run starts and no upload is taken.
    pub min_free_bytes: u64,
}

pub struct AppState {
    pub store: Store,
    pub hub: Arc<Hub>,
    pub runner: Arc<Runner>,
    pub data_dir: PathBuf,
    pub admin_token: Option<String>,
    pub limits: Limits,
    /// The site files (`pkg/` with the wasm, JS and CSS).
    pub site_root: PathBuf,
    /// The host names the server answers to (DNS-rebinding guard).
    pub hosts: Hosts,
    /// Clients whose admin token or login failed lately.
    pub throttle: Throttle,
    /// Held while a request checks the queue's room and inserts its runs (`runs::room`).
    pub admission: tokio::sync::Mutex<()>,
    /// Runs imports in child processes, a few at a time.
    pub importer: crate::importer::Importer,
    /// Estimates at once (each builds a supernet in a child process).
    pub estimates: tokio::sync::Semaphore,
}

pub type State = axum::extract::State<Arc<AppState>>;

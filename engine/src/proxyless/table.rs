//! The latency lookup table of ProxylessNAS (the paper's "latency prediction model"; the
//! reference's `search/utils/latency_estimator.py` reads a table measured on the device): the
//! batch-1 forward milliseconds of every candidate block at every layer shape a layout has, and
//! of the fixed parts (stem and first block; head), measured on one device with libtorch's
//! threads as the caller set them. A network's latency is then predicted as the sum of its parts,
//! and a search's expected latency as the sum over layers of each candidate's time weighted by
//! its probability. Tables are stored per device as JSON and grow when a layout brings shapes
//! they lack.
use super::block::Layer;
use super::net::Frame;
use super::space::{Choice, LayerSpec, Layout};
use crate::latency::{forward_ms, Repeats, Summary, LATENCY_REPEATS};
use crate::nn::Mode;
use crate::search::initialise;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::nn::VarStore;
use tch::Device;

/// One measured part: a candidate block at a layer shape, or a fixed part of a layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// `mb6_k5` (a candidate), `enter` (stem and first block) or `leave_N` (the head, N its
    /// channels).
    pub block: String,
    pub c_in: i64,
    pub c_out: i64,
    pub stride: i64,
    /// The input's height and width.
    pub size: (i64, i64),
    /// Fastest batch-1 milliseconds (`TABLE_REPEATS`).
    pub ms: f64,
}

/// Measured parts on one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyTable {
    /// `cpu`, `cuda:0`.
    pub device: String,
    /// libtorch's intra-op threads during the measurement.
    pub threads: i64,
    pub pytorch_version: String,
    pub entries: Vec<Entry>,
}

fn key_of(block: &str, spec: &LayerSpec) -> Entry {
    Entry {
        block: block.to_string(),
        c_in: spec.c_in,
        c_out: spec.c_out,
        stride: spec.stride,
        size: spec.size,
        ms: 0.0,
    }
}

fn same(a: &Entry, b: &Entry) -> bool {
    (a.block.as_str(), a.c_in, a.c_out, a.stride, a.size)
        == (b.block.as_str(), b.c_in, b.c_out, b.stride, b.size)
}

/// The fixed parts of a layout as table keys: (enter, leave).
fn frame_keys(layout: &Layout) -> (Entry, Entry) {
    let first = LayerSpec {
        c_in: layout.in_channels,
        c_out: layout.width,
        stride: 1,
        size: layout.size,
    };
    let last = layout.layers.last().map_or(first, |l| LayerSpec {
        c_in: l.c_out,
        c_out: layout.outputs,
        stride: 1,
        size: if l.stride == 2 {
            (l.size.0 / 2, l.size.1 / 2)
        } else {
            l.size
        },
    });
    // The head's width is part of what `leave` runs.
    (
        key_of("enter", &first),
        key_of(&format!("leave_{}", layout.head), &last),
    )
}

impl LatencyTable {
    pub fn empty(device: Device) -> LatencyTable {
        LatencyTable {
            device: crate::device::describe(device),
            threads: tch::get_num_threads() as i64,
            pytorch_version: option_env!("DARTBOARD_TORCH_VERSION")
                .unwrap_or("unknown")
                .into(),
            entries: vec![],
        }
    }

    fn get(&self, key: &Entry) -> Option<f64> {
        self.entries.iter().find(|e| same(e, key)).map(|e| e.ms)
    }

    /// Milliseconds of `choice` at layer `spec`; the zero op costs nothing.
    pub fn block_ms(&self, spec: &LayerSpec, choice: Choice) -> Option<f64> {
        match choice {
            Choice::Zero => Some(0.0),
            c => self.get(&key_of(&c.name(), spec)),
        }
    }

    /// Milliseconds of the layout's fixed parts (stem, first block, head).
    pub fn frame_ms(&self, layout: &Layout) -> Option<f64> {
        let (enter, leave) = frame_keys(layout);
        Some(self.get(&enter)? + self.get(&leave)?)
    }

    /// The predicted batch-1 latency of the network that chose `choices` on `layout`.
    pub fn predict(&self, layout: &Layout, choices: &[Choice]) -> Option<f64> {
        let mut ms = self.frame_ms(layout)?;
        for (spec, &c) in layout.layers.iter().zip(choices) {
            ms += self.block_ms(spec, c)?;
        }
        Some(ms)
    }

    /// Per layer, each candidate's milliseconds in `spec.candidates()` order.
    pub fn candidate_ms(&self, layout: &Layout) -> Option<Vec<Vec<f64>>> {
        layout
            .layers
            .iter()
            .map(|spec| {
                spec.candidates()
                    .into_iter()
                    .map(|c| self.block_ms(spec, c))
                    .collect()
            })
            .collect()
    }

    /// Whether every part of `layout` has been measured.
    pub fn covers(&self, layout: &Layout) -> bool {
        self.candidate_ms(layout).is_some() && self.frame_ms(layout).is_some()
    }

    /// Measures what `layout` needs and the table lacks (on `device`, batch 1), and returns how
    /// many entries it added.
    pub fn measure(&mut self, layout: &Layout, device: Device, repeats: Repeats) -> usize {
        let before = self.entries.len();
        let (enter, leave) = frame_keys(layout);
        if self.get(&enter).is_none() || self.get(&leave).is_none() {
            let vs = VarStore::new(device);
            let frame = initialise(None, || Frame::new(&vs.root(), layout));
            let input = (layout.in_channels, layout.size.0, layout.size.1);
            let enter_ms = forward_ms(&|x| frame.enter(x, Mode::Eval), 1, input, device, repeats);
            let features = (leave.c_in, leave.size.0, leave.size.1);
            let leave_ms = forward_ms(
                &|x| frame.leave(x, Mode::Eval),
                1,
                features,
                device,
                repeats,
            );
            self.put(Entry {
                ms: enter_ms,
                ..enter
            });
            self.put(Entry {
                ms: leave_ms,
                ..leave
            });
        }
        for spec in &layout.layers {
            for choice in spec.candidates() {
                if choice == Choice::Zero {
                    continue;
                }
                let key = key_of(&choice.name(), spec);
                if self.get(&key).is_some() {
                    continue;
                }
                let vs = VarStore::new(device);
                let layer = initialise(None, || Layer::new(&vs.root(), spec, choice));
                let ms = forward_ms(
                    &|x| layer.forward(x, Mode::Eval),
                    1,
                    (spec.c_in, spec.size.0, spec.size.1),
                    device,
                    repeats,
                );
                self.put(Entry { ms, ..key });
            }
        }
        self.entries.len() - before
    }

    fn put(&mut self, entry: Entry) {
        match self.entries.iter_mut().find(|e| same(e, &entry)) {
            Some(e) => *e = entry,
            None => self.entries.push(entry),
        }
    }

    /// The table stored for `device` on this machine at libtorch's current threads under
    /// `dir`, or an empty one.
    pub fn load_or_empty(dir: &Path, device: Device) -> LatencyTable {
        std::fs::read(Self::path(dir, device))
            .ok()
            .and_then(|b| serde_json::from_slice::<LatencyTable>(&b).ok())
            .filter(|t| t.threads == tch::get_num_threads() as i64)
            .unwrap_or_else(|| LatencyTable::empty(device))
    }

    /// Where the table of `device` lives under `dir`: one file per machine (a data directory
    /// may be shared by a server and its cluster's nodes), device and thread count
    /// (`latency-HOST-cpu-2t.json`).
    pub fn path(dir: &Path, device: Device) -> std::path::PathBuf {
        let name = crate::device::describe(device).replace(':', "");
        let threads = tch::get_num_threads();
        dir.join(format!("latency-{}-{name}-{threads}t.json", host()))
    }

    pub fn save(&self, dir: &Path, device: Device) -> std::io::Result<std::path::PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = Self::path(dir, device);
        // Searches on one machine may save at once: each writes its own file, then renames.
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        std::fs::write(
            &tmp,
            serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

/// This machine's name as a file name: the kernel's host name with anything but letters,
/// digits, `-` and `.` replaced.
fn host() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_default();
    let name: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "host".into()
    } else {
        name
    }
}

/// How `dartboard latency` measures: the batch-1 repeats of `latency::measure`, keeping each
/// part's fastest pass (see `Summary::Fastest`: summed medians of parts drift from the whole's
/// on a busy machine).
pub const TABLE_REPEATS: Repeats = Repeats {
    summary: Summary::Fastest,
    ..LATENCY_REPEATS
};

/// What the search weighed: each layer's candidates' and the fixed parts' milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weighed {
    pub device: String,
    pub threads: i64,
    pub candidate_ms: Vec<Vec<f64>>,
    pub frame_ms: f64,
}

impl Weighed {
    /// The batch-1 milliseconds of the network with `choices` in `layout`: the fixed parts and
    /// each layer's chosen block.
    pub fn predict(&self, layout: &Layout, choices: &[Choice]) -> f64 {
        self.frame_ms
            + layout
                .layers
                .iter()
                .zip(choices)
                .zip(&self.candidate_ms)
                .map(|((spec, choice), ms)| {
                    spec.candidates()
                        .iter()
                        .position(|c| c == choice)
                        .map_or(0.0, |i| ms[i])
                })
                .sum::<f64>()
    }
}

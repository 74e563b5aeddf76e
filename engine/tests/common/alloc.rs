//! A global allocator for the import tests, included with `#[path]` by the tests that measure
//! allocations: every request goes to the system allocator and the largest is recorded, so a
//! test can assert that no single allocation passed its bound. A request over `REFUSED` (far
//! beyond any bound) is refused outright: the test binary aborts with "memory allocation of N
//! bytes failed" rather than exhausting the machine. Tensors allocated by libtorch (C++) are not
//! seen here; tests bound those through the dataset's shape.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Requests larger than this fail.
const REFUSED: usize = 2 << 30;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

pub struct Recording;

#[global_allocator]
static GLOBAL: Recording = Recording;

/// Records `size`; whether it may be allocated.
fn record(size: usize) -> bool {
    LARGEST.fetch_max(size, Ordering::Relaxed);
    size <= REFUSED
}

unsafe impl GlobalAlloc for Recording {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !record(layout.size()) {
            return std::ptr::null_mut();
        }
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !record(layout.size()) {
            return std::ptr::null_mut();
        }
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !record(new_size) {
            return std::ptr::null_mut();
        }
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

/// The largest single allocation requested since the last `reset` (or the start).
pub fn largest() -> usize {
    LARGEST.load(Ordering::Relaxed)
}

/// Starts recording afresh; tests that reset hold a lock around what they measure, as the
/// record is shared by every thread.
#[allow(dead_code)]
pub fn reset() {
    LARGEST.store(0, Ordering::Relaxed);
}

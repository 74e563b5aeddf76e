//! `--device auto|cpu|cuda|cuda:N`: auto picks CUDA device 0 when present, else the CPU.
use tch::Device;

pub fn parse(text: &str) -> Result<Device, String> {
    match text {
        "auto" => Ok(Device::cuda_if_available()),
        "cpu" => Ok(Device::Cpu),
        "cuda" => cuda(0),
        _ => match text
            .strip_prefix("cuda:")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) => cuda(n),
            None => Err(format!(
                "unknown device '{text}'; use auto, cpu, cuda or cuda:N"
            )),
        },
    }
}

fn cuda(n: usize) -> Result<Device, String> {
    let count = tch::Cuda::device_count() as usize;
    if n < count {
        Ok(Device::Cuda(n))
    } else if count == 0 {
        Err("CUDA is not available on this machine; use cpu or auto".to_string())
    } else {
        Err(format!(
            "cuda:{n} does not exist; this machine has {count} CUDA device(s)"
        ))
    }
}

pub fn describe(device: Device) -> String {
    match device {
        Device::Cpu => "cpu".to_string(),
        Device::Cuda(n) => format!("cuda:{n}"),
        other => format!("{other:?}").to_lowercase(),
    }
}

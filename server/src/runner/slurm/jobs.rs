//! What Slurm says about jobs: `scontrol show job -o` (one line per job the controller still
//! knows) and the `jobcomp/filetxt` completion log (one line per ended job, kept after the
//! controller forgets it, `MinJobAge` later). Both are `Key=Value` lines.
use std::collections::HashMap;

/// A job as Slurm last reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    pub id: String,
    pub name: String,
    /// PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, ...
    pub state: String,
    /// Why it is pending or how it ended ("Resources", "NonZeroExitCode", "TimeLimit"); the
    /// completion log has none.
    pub reason: Option<String>,
    /// `code:signal`.
    pub exit_code: String,
    pub work_dir: String,
}

/// Where a job stands, for the run it executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting in Slurm's queue (or requeued, suspended).
    Waiting,
    Running,
    /// Over: the run's end is decided from the state and the worker's own last status.
    Ended,
}

impl JobInfo {
    pub fn phase(&self) -> Phase {
        match self.state.as_str() {
            "RUNNING" | "COMPLETING" | "CONFIGURING" | "STAGE_OUT" | "SIGNALING" => Phase::Running,
            "PENDING" | "REQUEUED" | "REQUEUE_FED" | "REQUEUE_HOLD" | "RESIZING" | "SUSPENDED"
            | "STOPPED" | "RESV_DEL_HOLD" | "SPECIAL_EXIT" => Phase::Waiting,
            _ => Phase::Ended,
        }
    }

    /// How Slurm ended the job, for a run's failure message.
    pub fn describe(&self) -> String {
        let why = match self.state.as_str() {
            "TIMEOUT" => " (it ran past its time limit, --slurm-time)",
            "OUT_OF_MEMORY" => " (it used more memory than it was given, --slurm-mem)",
            "NODE_FAIL" => " (its node failed)",
            "PREEMPTED" => " (a job of higher priority preempted it)",
            "BOOT_FAIL" => " (its node did not boot)",
            "DEADLINE" => " (it reached its deadline)",
            _ => "",
        };
        let reason = match self.reason.as_deref() {
            Some(r) if r != "None" => format!(", reason {r}"),
            _ => String::new(),
        };
        format!(
            "Slurm job {} ended {}{why}{reason}, exit code {}",
            self.id, self.state, self.exit_code
        )
    }
}

/// The `Key=Value` pairs of one line; a value with spaces (a path) runs on to the next key.
fn pairs(line: &str) -> HashMap<String, String> {
    let mut map: HashMap<String, String> = HashMap::new();
    let mut last: Option<String> = None;
    for token in line.split(' ').filter(|t| !t.is_empty()) {
        let key = token.split_once('=').map(|(k, _)| k).filter(|k| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | ':' | '_'))
        });
        match key {
            Some(k) => {
                map.insert(k.to_string(), token[k.len() + 1..].to_string());
                last = Some(k.to_string());
            }
            None => {
                if let Some(v) = last.as_ref().and_then(|k| map.get_mut(k)) {
                    v.push(' ');
                    v.push_str(token);
                }
            }
        }
    }
    map
}

fn info(line: &str) -> Option<JobInfo> {
    let mut p = pairs(line);
    let mut take = |k: &str| p.remove(k);
    Some(JobInfo {
        id: take("JobId")?,
        name: take("JobName").or_else(|| take("Name")).unwrap_or_default(),
        state: take("JobState")?,
        reason: take("Reason"),
        exit_code: take("ExitCode").unwrap_or_else(|| "?".into()),
        work_dir: take("WorkDir").unwrap_or_default(),
    })
}

/// Every job in `scontrol show job -o`'s output ("No jobs in the system" gives none).
pub fn parse_scontrol(text: &str) -> Vec<JobInfo> {
    text.lines().filter_map(info).collect()
}

/// The last record of job `id` in a completion log (a job id may recur after a restart of the
/// controller's state, so the latest line wins).
pub fn find_in_jobcomp(text: &str, id: &str) -> Option<JobInfo> {
    text.lines()
        .rev()
        .filter(|l| l.starts_with(&format!("JobId={id} ")))
        .find_map(info)
}

/// `JobCompLoc` when `scontrol show config` says the completion log is a text file.
pub fn jobcomp_path(config: &str) -> Option<String> {
    let value = |key: &str| {
        config.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    (value("JobCompType")? == "jobcomp/filetxt").then(|| value("JobCompLoc"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lines as Slurm 22.05.8 printed them on a one-node test cluster (shortened in the middle).
    const SCONTROL: &str = "JobId=1 JobName=dartboard-run-5 UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901759 Nice=0 Account=(null) QOS=(null) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=3:0 RunTime=00:00:02 TimeLimit=UNLIMITED Command=/tmp/j.sh WorkDir=/srv/my data/runs/5 StdErr=/tmp/j.out StdIn=/dev/null StdOut=/tmp/j.out Power= \n\
JobId=2 JobName=k.sh UserId=root(0) JobState=PENDING Reason=Resources ExitCode=0:0 WorkDir=/tmp Power= \n";
    const JOBCOMP: &str = "JobId=1 UserId=root(0) GroupId=root(0) Name=dartboard-run-5 JobState=FAILED Partition=debug TimeLimit=UNLIMITED StartTime=2026-12-03T16:39:57 EndTime=2026-12-03T16:39:59 NodeList=localhost NodeCnt=1 ProcCnt=1 WorkDir=/tmp ReservationName= Tres=cpu=1,mem=19284M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-12-03T16:39:57 EligibleTime=2026-12-03T16:39:57 DerivedExitCode=0:0 ExitCode=3:0 \n\
JobId=12 UserId=root(0) GroupId=root(0) Name=dartboard-run-9 JobState=TIMEOUT Partition=debug WorkDir=/tmp ExitCode=0:15 \n";

    #[test]
    fn scontrol_lines() {
        let jobs = parse_scontrol(SCONTROL);
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].name, "dartboard-run-5");
        assert_eq!(jobs[0].state, "FAILED");
        assert_eq!(jobs[0].exit_code, "3:0");
        assert_eq!(jobs[0].work_dir, "/srv/my data/runs/5");
        assert_eq!(jobs[0].phase(), Phase::Ended);
        assert_eq!(jobs[1].phase(), Phase::Waiting);
        assert_eq!(jobs[1].reason.as_deref(), Some("Resources"));
        assert!(parse_scontrol("No jobs in the system\n").is_empty());
    }

    #[test]
    fn completion_log() {
        let Some(job) = find_in_jobcomp(JOBCOMP, "12") else {
            panic!("job 12 is in the completion log")
        };
        assert_eq!(
            (job.state.as_str(), job.exit_code.as_str()),
            ("TIMEOUT", "0:15")
        );
        assert_eq!(job.name, "dartboard-run-9");
        assert_eq!(
            job.describe(),
            "Slurm job 12 ended TIMEOUT (it ran past its time limit, --slurm-time), exit code 0:15"
        );
        assert!(find_in_jobcomp(JOBCOMP, "2").is_none());
        let config = "JobCompHost             = localhost\nJobCompLoc              = /tmp/x/jobcomp.log\nJobCompType             = jobcomp/filetxt\n";
        assert_eq!(jobcomp_path(config).as_deref(), Some("/tmp/x/jobcomp.log"));
        assert_eq!(
            jobcomp_path("JobCompType = jobcomp/none\nJobCompLoc = x\n"),
            None
        );
    }
}

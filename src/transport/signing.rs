//! Signing threads: one per core, fed by a bounded queue. A delivery's signature costs about
//! a millisecond of RSA; handing each to the blocking pool and back woke a thread (and often
//! started one) per delivery. These threads instead take the next job while the queue is
//! full, so under load a thread signs one job after the other without parking; the queue's
//! bound holds back the senders when the cores are all busy.

use std::{sync::Arc, time::SystemTime};

use bytes::Bytes;
use tokio::sync::oneshot;
use url::Url;

use super::signatures::{MessageSignedHeaders, SignedHeaders, Signer};

/// A signed POST's headers, in the scheme the receiver was asked with.
pub enum Signed {
    Cavage(SignedHeaders),
    Message(MessageSignedHeaders),
}

struct Job {
    signer: Arc<Signer>,
    url: Url,
    body: Bytes,
    rfc9421: bool,
    reply: oneshot::Sender<Result<Signed, String>>,
}

/// Why a POST went out unsigned.
pub enum Unsigned {
    /// The key could not sign it: trying again will not help.
    Failed(String),
    /// The threads are gone (shutting down): try again later.
    Stopped,
}

/// The queue's end the delivery tasks hold. The threads stop once it is dropped and the
/// queue is empty.
pub struct SigningThreads {
    jobs: flume::Sender<Job>,
}

/// Jobs waiting per thread: enough that a thread finds its next job ready, few enough that a
/// signature's `date` is not stale by the time it is sent.
const QUEUED_PER_THREAD: usize = 4;

impl SigningThreads {
    /// One thread per core (or `threads`, at least one).
    pub fn start(threads: usize) -> std::io::Result<Self> {
        let threads = threads.max(1);
        let (jobs, queue) = flume::bounded::<Job>(threads * QUEUED_PER_THREAD);
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("tribune-sign-{n}"))
                .spawn(move || {
                    while let Ok(job) = queue.recv() {
                        let signed = sign(&job);
                        // The sender may have given up (shutdown): nothing to do then.
                        let _ = job.reply.send(signed);
                    }
                })?;
        }
        Ok(Self { jobs })
    }

    /// Sign a POST of `body` to `url` now, waiting for a thread if all are busy.
    pub async fn sign(
        &self,
        signer: Arc<Signer>,
        url: &Url,
        body: &Bytes,
        rfc9421: bool,
    ) -> Result<Signed, Unsigned> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            signer,
            url: url.clone(),
            body: body.clone(),
            rfc9421,
            reply,
        };
        self.jobs
            .send_async(job)
            .await
            .map_err(|_| Unsigned::Stopped)?;
        answer
            .await
            .map_err(|_| Unsigned::Stopped)?
            .map_err(Unsigned::Failed)
    }
}

fn sign(job: &Job) -> Result<Signed, String> {
    let now = SystemTime::now();
    let signed = if job.rfc9421 {
        job.signer
            .sign_post_rfc9421(&job.url, &job.body, now)
            .map(Signed::Message)
    } else {
        job.signer
            .sign_post(&job.url, &job.body, now)
            .map(Signed::Cavage)
    };
    signed.map_err(|e| format!("signing failed: {e}"))
}

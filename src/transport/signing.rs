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
    /// No thread answered (shutting down, or the job panicked): try again later.
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
                        // A job that panics drops its answer (the sender sees `Stopped`, and
                        // tries again later) but does not take the thread with it.
                        let signed =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sign(&job)));
                        if let Ok(signed) = signed {
                            // The sender may have given up (shutdown): nothing to do then.
                            let _ = job.reply.send(signed);
                        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::signatures::{
        RequestParts, check_request, parse_message_signature, parse_signature_header,
        tests::{digest_headers, headers_of, keys},
        verify_signature,
    };

    /// More jobs than the queue holds, from many tasks at once: each answer is the signature
    /// of its own request (its path and body), in the scheme it asked for.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_job_gets_its_own_signature_back() {
        let (signer, public) = keys();
        let signer = Arc::new(signer);
        let threads = Arc::new(SigningThreads::start(2).unwrap());
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..40 {
            let (threads, signer) = (threads.clone(), signer.clone());
            tasks.spawn(async move {
                let url = Url::parse(&format!("https://b.example/users/{n}/inbox")).unwrap();
                let body = Bytes::from(format!(r#"{{"n":{n}}}"#));
                let signed = threads.sign(signer, &url, &body, n % 2 == 1).await;
                (url, body, signed)
            });
        }
        let mut answered = 0;
        while let Some(joined) = tasks.join_next().await {
            let (url, body, signed) = joined.unwrap();
            let parts = |headers| RequestParts {
                method: "POST",
                path: url.path(),
                query: None,
                headers,
            };
            match signed {
                Ok(Signed::Cavage(h)) => {
                    let headers = headers_of(&h);
                    let sig = parse_signature_header(&h.signature).unwrap();
                    let req = parts(&headers);
                    check_request(&sig, &req, Some(&body), SystemTime::now()).unwrap();
                    verify_signature(&sig, &req, &public).unwrap();
                }
                Ok(Signed::Message(h)) => {
                    let headers = digest_headers(&h.content_digest);
                    let sig = parse_message_signature(&h.signature_input, &h.signature).unwrap();
                    let req = parts(&headers);
                    sig.check(Some(&body), &req, SystemTime::now()).unwrap();
                    sig.verify(&sig.base(&req, url.as_str()).unwrap(), &public)
                        .unwrap();
                }
                Err(_) => panic!("job for {url} was not signed"),
            }
            answered += 1;
        }
        assert_eq!(answered, 40);
    }
}

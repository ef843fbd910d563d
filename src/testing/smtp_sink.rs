//! A local SMTP server for tests: listens on 127.0.0.1, speaks enough SMTP (EHLO/HELO, MAIL,
//! RCPT, DATA, RSET, NOOP, QUIT) to take messages, and keeps them for assertions. It can
//! refuse the next messages with a transient 451, to test retries. Stopped when dropped.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One message as the sink received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope's sender (`MAIL FROM`).
    pub from: String,
    /// The envelope's recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The message as sent (headers and body, dot-stuffing undone).
    pub data: String,
}

impl ReceivedMail {
    /// The first header `name` (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    /// The message with quoted-printable soft breaks and `=XX` escapes undone, good enough to
    /// look for text in any part.
    pub fn decoded(&self) -> String {
        let joined = self.data.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (bytes[i], hex) {
                (b'=', Some(byte)) => {
                    out.push(byte);
                    i += 3;
                }
                (byte, _) => {
                    out.push(byte);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

#[derive(Default)]
struct Inbox {
    messages: Vec<ReceivedMail>,
    /// How many of the next messages are refused with 451.
    refuse_next: usize,
}

/// The running sink. Its address is an `smtp://` URL without TLS (`ABETWORKS_SMTP_URL`).
pub struct SmtpSink {
    address: SocketAddr,
    inbox: Arc<Mutex<Inbox>>,
    server: JoinHandle<()>,
}

impl SmtpSink {
    /// Starts a sink on a free port of 127.0.0.1.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the SMTP sink");
        let address = listener.local_addr().expect("the SMTP sink's address");
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let shared = inbox.clone();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(converse(stream, shared.clone()));
            }
        });
        Self {
            address,
            inbox,
            server,
        }
    }

    /// `smtp://127.0.0.1:PORT`: plain SMTP, no TLS, no credentials.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.address)
    }

    /// Refuses the next `count` messages with `451` (a transient failure).
    pub fn refuse_next(&self, count: usize) {
        lock(&self.inbox).refuse_next = count;
    }

    /// Every message received so far, in order.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        lock(&self.inbox).messages.clone()
    }

    /// Waits (polling, up to `limit`) until at least `count` messages arrived; all of them.
    pub async fn wait_for(&self, count: usize, limit: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + limit;
        loop {
            let messages = self.messages();
            if messages.len() >= count || Instant::now() >= deadline {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn lock(inbox: &Mutex<Inbox>) -> std::sync::MutexGuard<'_, Inbox> {
    inbox.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One client's SMTP session, until QUIT or the connection closes.
async fn converse(stream: TcpStream, inbox: Arc<Mutex<Inbox>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut out: &'static [u8] = b"220 sink ESMTP ready\r\n";
    let (mut from, mut to) = (String::new(), Vec::new());
    loop {
        if write.write_all(out).await.is_err() {
            return;
        }
        let mut line = String::new();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_owned();
        let verb = command.get(..4).unwrap_or(&command).to_ascii_uppercase();
        out = match verb.as_str() {
            "EHLO" => b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "HELO" | "NOOP" => b"250 OK\r\n",
            "RSET" => {
                (from, to) = (String::new(), Vec::new());
                b"250 OK\r\n"
            }
            "MAIL" => {
                let refused = {
                    let mut inbox = lock(&inbox);
                    let refused = inbox.refuse_next > 0;
                    inbox.refuse_next = inbox.refuse_next.saturating_sub(1);
                    refused
                };
                if refused {
                    b"451 4.3.0 try again later\r\n"
                } else {
                    from = address_in(&command);
                    to.clear();
                    b"250 OK\r\n"
                }
            }
            "RCPT" => {
                to.push(address_in(&command));
                b"250 OK\r\n"
            }
            "DATA" => {
                if write.write_all(b"354 end with .\r\n").await.is_err() {
                    return;
                }
                let Some(data) = read_data(&mut lines).await else {
                    return;
                };
                lock(&inbox).messages.push(ReceivedMail {
                    from: std::mem::take(&mut from),
                    to: std::mem::take(&mut to),
                    data,
                });
                b"250 OK queued\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"502 command not implemented\r\n",
        };
    }
}

/// The message after `DATA`, up to the line holding a single dot, dot-stuffing undone.
async fn read_data(lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<String> {
    let mut data = String::new();
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        if line == ".\r\n" || line == ".\n" {
            return Some(data);
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}

/// The address between `<` and `>` of `MAIL FROM:<a@b>` or `RCPT TO:<a@b>`.
fn address_in(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map_or_else(String::new, |(address, _)| address.to_owned())
}

//! A tiny client for Redis's RESP protocol over TCP: enough for `SET`, `GET` and `PING`, one
//! command at a time per connection (as the HTTP targets are driven).

use std::net::SocketAddr;

use anyhow::{Context as _, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// A bound on bulk replies, so a confused stream cannot make us allocate without limit.
const MAX_BULK_BYTES: usize = 64 * 1024 * 1024;

/// A reply, reduced to what the benchmark needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`, `+PONG`.
    Status(String),
    /// `-ERR ...`.
    Error(String),
    Integer(i64),
    /// `$n` bulk string; `None` for the null bulk string (a missing key).
    Bulk(Option<Vec<u8>>),
}

pub struct RespConnection {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    request: Vec<u8>,
    line: Vec<u8>,
}

impl RespConnection {
    pub async fn connect(address: SocketAddr) -> anyhow::Result<RespConnection> {
        let stream = TcpStream::connect(address)
            .await
            .with_context(|| format!("connecting to redis at {address}"))?;
        stream.set_nodelay(true)?;
        let (reader, writer) = stream.into_split();
        Ok(RespConnection {
            reader: BufReader::new(reader),
            writer,
            request: Vec::with_capacity(256),
            line: Vec::with_capacity(64),
        })
    }

    /// Sends one command (an array of bulk strings) and reads its reply.
    pub async fn command(&mut self, arguments: &[&[u8]]) -> anyhow::Result<Reply> {
        self.request.clear();
        encode(arguments, &mut self.request);
        self.writer.write_all(&self.request).await?;
        self.read_reply().await
    }

    async fn read_reply(&mut self) -> anyhow::Result<Reply> {
        self.line.clear();
        let read = self.reader.read_until(b'\n', &mut self.line).await?;
        if read == 0 {
            bail!("redis closed the connection");
        }
        let line = self
            .line
            .strip_suffix(b"\r\n")
            .context("a RESP line without CRLF")?;
        let (&kind, rest) = line.split_first().context("an empty RESP line")?;
        let text = std::str::from_utf8(rest).context("a RESP line that is not UTF-8")?;
        match kind {
            b'+' => Ok(Reply::Status(text.to_owned())),
            b'-' => Ok(Reply::Error(text.to_owned())),
            b':' => Ok(Reply::Integer(text.parse().context("a RESP integer")?)),
            b'$' => {
                let length: i64 = text.parse().context("a RESP bulk length")?;
                if length < 0 {
                    return Ok(Reply::Bulk(None));
                }
                let length = usize::try_from(length)?;
                if length > MAX_BULK_BYTES {
                    bail!("a RESP bulk string of {length} bytes");
                }
                let mut value = vec![0; length + 2];
                self.reader.read_exact(&mut value).await?;
                if !value.ends_with(b"\r\n") {
                    bail!("a RESP bulk string without CRLF");
                }
                value.truncate(length);
                Ok(Reply::Bulk(Some(value)))
            }
            other => bail!("unsupported RESP reply type {:?}", char::from(other)),
        }
    }
}

/// `*<n>\r\n` then `$<len>\r\n<bytes>\r\n` per argument.
fn encode(arguments: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", arguments.len()).as_bytes());
    for argument in arguments {
        out.extend_from_slice(format!("${}\r\n", argument.len()).as_bytes());
        out.extend_from_slice(argument);
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn commands_are_arrays_of_bulk_strings() {
        let mut out = Vec::new();
        encode(&[b"SET", b"k", b"hello"], &mut out);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n");
    }

    #[tokio::test]
    async fn replies_are_parsed() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buffer = [0u8; 1024];
            for reply in [
                &b"+OK\r\n"[..],
                b"$5\r\nhello\r\n",
                b"$-1\r\n",
                b":42\r\n",
                b"-ERR nope\r\n",
            ] {
                let _ = socket.read(&mut buffer).await.unwrap();
                socket.write_all(reply).await.unwrap();
            }
        });
        let mut connection = RespConnection::connect(address).await.unwrap();
        let set = connection.command(&[b"SET", b"k", b"hello"]).await.unwrap();
        assert_eq!(set, Reply::Status("OK".into()));
        let get = connection.command(&[b"GET", b"k"]).await.unwrap();
        assert_eq!(get, Reply::Bulk(Some(b"hello".to_vec())));
        let missing = connection.command(&[b"GET", b"x"]).await.unwrap();
        assert_eq!(missing, Reply::Bulk(None));
        let integer = connection.command(&[b"INCR", b"n"]).await.unwrap();
        assert_eq!(integer, Reply::Integer(42));
        let error = connection.command(&[b"BAD"]).await.unwrap();
        assert_eq!(error, Reply::Error("ERR nope".into()));
        server.await.unwrap();
    }
}

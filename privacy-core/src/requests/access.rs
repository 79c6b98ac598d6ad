//! Access (the right to know) and the document writers' plumbing: a streamed
//! [`DsarWriter`](crate::dsar::DsarWriter) across every store.

use std::io::{self, Write};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::digest::hex;
use super::engine::Requests;
use super::error::RequestError;
use super::ledger::{Request, RequestKind, RequestState};
use crate::dsar::DsarWriter;

/// What is written after the last byte of a document an error interrupted: not JSON, so a
/// reader cannot take what precedes it for a complete answer.
pub const INCOMPLETE_MARKER: &str =
    "\n!! INCOMPLETE: an error interrupted this document; it is not a complete answer.\n";

impl Requests {
    /// Answers a verified access request: writes the right-to-know document (JSON, see
    /// [`DsarWriter`]) of the request's subject and of the people reached from them
    /// through routes, reading every store of the data map a page at a time: memory holds
    /// one page and the document's summary, never all the records. Returns `out`; pass
    /// `&mut out` to keep it.
    ///
    /// The request completes with the SHA-256 of the bytes written. If a store or the
    /// writer fails midway, the error is logged (`tracing`, no personal data), the request
    /// is recorded as failed, and what was written is followed by [`INCOMPLETE_MARKER`]:
    /// the output never parses, and is never empty.
    pub fn access<W: Write>(&self, id: &str, out: W) -> Result<W, RequestError> {
        self.access_as(id, out, false)
    }

    /// [`access`](Requests::access), writing the document as Markdown for a person to read
    /// ([`DsarWriter::markdown`]); an interrupted one ends with [`INCOMPLETE_MARKER`] too.
    pub fn access_markdown<W: Write>(&self, id: &str, out: W) -> Result<W, RequestError> {
        self.access_as(id, out, true)
    }

    fn access_as<W: Write>(&self, id: &str, out: W, markdown: bool) -> Result<W, RequestError> {
        let mut request = self.ready(id, RequestKind::Access)?;
        let mut out = Hashing::new(out);
        let written = self.write_access(&mut request, &mut out, markdown);
        self.finish_document(&mut request, out, written)
    }

    fn write_access<W: Write>(
        &self,
        request: &mut Request,
        out: &mut Hashing<W>,
        markdown: bool,
    ) -> Result<(), RequestError> {
        self.start(request)?;
        let dependents = request.subjects.iter().skip(1).map(|s| s.id.clone());
        let mut writer = if markdown {
            DsarWriter::markdown(&mut *out, &request.subject_id)
        } else {
            DsarWriter::json(&mut *out, &request.subject_id)
        }
        .with_generated_at(SystemTime::now())
        .with_dependents(dependents);
        let result = (|| {
            for subject in &request.subjects {
                for records in self.map.erased() {
                    if records.filing_kind() != subject.kind {
                        continue;
                    }
                    records.export_each(&self.keyring, &subject.id, &mut |export| {
                        writer.add_export(export).map_err(RequestError::from)
                    })?;
                }
            }
            Ok(())
        })();
        match result {
            Ok(()) => writer.finish().map(|_| ()).map_err(RequestError::from),
            Err(e) => {
                // Hand over what was written: the marker follows it.
                let _ = writer.flush();
                Err(e)
            }
        }
    }

    /// Marks the request in progress with its subjects.
    pub(crate) fn start(&self, request: &mut Request) -> Result<(), RequestError> {
        request.subjects = self.resolve(request)?;
        request.state = RequestState::InProgress;
        request.failure = None;
        self.ledger.update(request)?;
        Ok(())
    }

    /// Completes a document request with the digest of what was written, or marks the
    /// output incomplete and the request failed.
    pub(crate) fn finish_document<W: Write>(
        &self,
        request: &mut Request,
        mut out: Hashing<W>,
        written: Result<(), RequestError>,
    ) -> Result<W, RequestError> {
        match written {
            Ok(()) => {
                let digest = out.digest();
                self.ledger
                    .complete(&request.id, SystemTime::now(), &digest)?;
                Ok(out.inner)
            }
            Err(e) => {
                let _ = out.inner.write_all(INCOMPLETE_MARKER.as_bytes());
                let _ = out.inner.flush();
                self.fail(request, &e);
                Err(e)
            }
        }
    }
}

/// A writer that hashes what passes through it.
pub(crate) struct Hashing<W> {
    pub(crate) inner: W,
    hasher: Sha256,
}

impl<W: Write> Hashing<W> {
    pub(crate) fn new(inner: W) -> Hashing<W> {
        Hashing {
            inner,
            hasher: Sha256::new(),
        }
    }

    pub(crate) fn digest(&self) -> String {
        hex(&self.hasher.clone().finalize())
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

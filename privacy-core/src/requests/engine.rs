//! [`Requests`]: the request engine over a [`DataMap`], a keyring and a [`Ledger`]: records
//! requests, resolves the people they cover, and dispatches to access, deletion, correction
//! and portability (one file each).

use core::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use super::data_map::DataMap;
use super::due::Regime;
use super::error::RequestError;
use super::ledger::SubjectRef;
use super::ledger::{Ledger, Request, RequestKind, RequestState};
use super::records::random_id;
use crate::crypto::Keyring;

/// Data-subject requests across every store of a service.
///
/// Each request is recorded in the ledger when received ([`receive`](Requests::receive)),
/// with its deadline under the [`Regime`]; the requester's identity is verified
/// ([`verify`](Requests::verify)) before anything is disclosed or deleted; then
/// [`access`](Requests::access), [`delete`](Requests::delete),
/// [`correct`](Requests::correct) or [`portability`](Requests::portability) answers it
/// over every type of the [`DataMap`] and completes it in the ledger with the SHA-256 of
/// its report.
///
/// A request covers its subject and every subject reached from it through declared routes
/// (a parent's children), found once when it starts.
///
/// ```
/// use std::sync::Arc;
/// use privacy_core::crypto::Keyring;
/// use privacy_core::requests::{
///     DataMap, RequestKind, Requests, SqliteLedger, SqliteRecordStore, SubjectRef,
/// };
/// use privacy_core::PersonalData;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(PersonalData, Serialize, Deserialize)]
/// struct Account {
///     #[personal(subject_id)]
///     id: String,
///     #[personal(category = "contact.email", encrypt)]
///     email: String,
/// }
///
/// # let dir = std::env::temp_dir().join(format!("engine-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let map = DataMap::builder()
///     .store::<Account>(SqliteRecordStore::open(dir.join("app.db"))?)
///     .build()?;
/// let requests = Requests::new(map, Arc::new(Keyring::in_memory()), SqliteLedger::open(dir.join("ledger.db"))?);
///
/// let accounts = requests.map().records::<Account>()?;
/// accounts.save(requests.keyring(), &Account { id: "7".into(), email: "ada@example.com".into() })?;
///
/// let request = requests.receive(RequestKind::Deletion, SubjectRef::new("user", "7"), "7")?;
/// requests.verify(&request.id)?;
/// let report = requests.delete(&request.id)?;
/// assert_eq!(report.records_deleted(), 1);
/// assert_eq!(accounts.count("7")?, 0);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Requests {
    pub(crate) map: DataMap,
    pub(crate) keyring: Arc<Keyring>,
    pub(crate) ledger: Arc<dyn Ledger>,
    regime: Regime,
}

impl fmt::Debug for Requests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Requests")
            .field("map", &self.map)
            .field("regime", &self.regime)
            .finish_non_exhaustive()
    }
}

impl SubjectRef {
    /// The subject of kind `kind` with id `id`.
    pub fn new(kind: impl Into<String>, id: impl Into<String>) -> SubjectRef {
        SubjectRef {
            kind: kind.into(),
            id: id.into(),
        }
    }
}

impl Requests {
    /// The engine over `map`, sealing with `keyring`, recording in `ledger`; deadlines under
    /// the GDPR until [`with_regime`](Requests::with_regime) says otherwise.
    pub fn new(map: DataMap, keyring: Arc<Keyring>, ledger: impl Ledger + 'static) -> Requests {
        Requests {
            map,
            keyring,
            ledger: Arc::new(ledger),
            regime: Regime::Gdpr,
        }
    }

    /// Deadlines of new requests under `regime`.
    #[must_use]
    pub fn with_regime(mut self, regime: Regime) -> Requests {
        self.regime = regime;
        self
    }

    /// The data map.
    pub fn map(&self) -> &DataMap {
        &self.map
    }

    /// The keyring records are sealed with.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// The ledger.
    pub fn ledger(&self) -> &dyn Ledger {
        &*self.ledger
    }

    /// Records a request received now about `subject`, asked by `requester` (the person or
    /// their authorized agent), and returns it with its id and deadline.
    pub fn receive(
        &self,
        kind: RequestKind,
        subject: SubjectRef,
        requester: &str,
    ) -> Result<Request, RequestError> {
        self.receive_at(kind, subject, requester, SystemTime::now())
    }

    /// [`receive`](Requests::receive) for a request received at `at` (by mail, say).
    pub fn receive_at(
        &self,
        kind: RequestKind,
        subject: SubjectRef,
        requester: &str,
        at: SystemTime,
    ) -> Result<Request, RequestError> {
        // Whole seconds, as the ledger keeps them.
        let at = super::ledger::time(super::ledger::secs(at));
        let request = Request {
            id: random_id(),
            kind,
            subject_kind: subject.kind,
            subject_id: subject.id,
            subjects: Vec::new(),
            requester: requester.to_owned(),
            regime: self.regime,
            received_at: at,
            due_at: self.regime.due_at(at, false),
            extended: false,
            verified_at: None,
            state: RequestState::Received,
            failure: None,
            completed_at: None,
            report_digest: None,
        };
        self.ledger.insert(&request)?;
        Ok(request)
    }

    /// The request with this id.
    pub fn request(&self, id: &str) -> Result<Request, RequestError> {
        self.ledger.get(id)?.ok_or(RequestError::UnknownRequest)
    }

    /// Records that the requester's identity was verified (now).
    pub fn verify(&self, id: &str) -> Result<Request, RequestError> {
        let mut request = self.request(id)?;
        if request.verified_at.is_none() {
            request.verified_at = Some(super::ledger::time(super::ledger::secs(SystemTime::now())));
            self.ledger.update(&request)?;
        }
        Ok(request)
    }

    /// Extends the deadline once, as the request's regime allows (tell the requester why).
    pub fn extend(&self, id: &str) -> Result<Request, RequestError> {
        let mut request = self.request(id)?;
        if request.extended {
            return Err(RequestError::InvalidState {
                state: request.state,
                reason: "the deadline was extended already; it extends once",
            });
        }
        if request.state == RequestState::Completed {
            return Err(RequestError::InvalidState {
                state: request.state,
                reason: "a completed request has no deadline to extend",
            });
        }
        request.extended = true;
        request.due_at = request.regime.due_at(request.received_at, true);
        self.ledger.update(&request)?;
        Ok(request)
    }

    /// The request, checked to be of `kind` and verified.
    pub(crate) fn ready(&self, id: &str, kind: RequestKind) -> Result<Request, RequestError> {
        let request = self.request(id)?;
        if request.kind != kind {
            return Err(RequestError::WrongKind {
                expected: kind,
                found: request.kind,
            });
        }
        if request.verified_at.is_none() {
            return Err(RequestError::NotVerified);
        }
        Ok(request)
    }

    /// Records that the request failed with `error` (its message has no personal data).
    pub(crate) fn fail(&self, request: &mut Request, error: &RequestError) {
        tracing::error!(
            request = %request.id,
            kind = %request.kind,
            error = %error,
            "data-subject request failed"
        );
        request.state = RequestState::Failed;
        request.failure = Some(error.to_string());
        if let Err(e) = self.ledger.update(request) {
            tracing::error!(request = %request.id, error = %e, "could not record the failure");
        }
    }

    /// The request's subject and every subject reached from it through routes, the
    /// requester first.
    pub(crate) fn resolve(&self, request: &Request) -> Result<Vec<SubjectRef>, RequestError> {
        let mut out = vec![SubjectRef::new(
            request.subject_kind.clone(),
            request.subject_id.clone(),
        )];
        let mut i = 0;
        while let Some(subject) = out.get(i).cloned() {
            i += 1;
            for records in self.map.erased() {
                if !records.links_subjects() || records.route_kind() != Some(&subject.kind) {
                    continue;
                }
                let mut after: Option<String> = None;
                loop {
                    let ids = records.store().linked_subjects(
                        records.table(),
                        &subject.id,
                        after.as_deref(),
                        records.batch(),
                    )?;
                    let full = ids.len() >= records.batch();
                    after = ids.last().cloned();
                    for id in ids {
                        let found = SubjectRef::new(records.filing_kind(), id);
                        if !out.contains(&found) {
                            out.push(found);
                        }
                    }
                    if !full {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }
}

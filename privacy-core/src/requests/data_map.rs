//! [`DataMap`]: every stored record type, its store, and how a person's records are found.

use core::any::{type_name, Any, TypeId};
use core::fmt;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::error::RequestError;
use super::records::{has_subject_field, ErasedRecords, Records, Route, Storable, DEFAULT_BATCH};
use super::registry::registered;
use super::store::{table_name, RecordStore, StoreError};
use crate::schema::RecordSchema;

/// Every stored `PersonalData` type of a service, the store that holds it, and how a
/// person's records are found: by the record's subject id, or through a declared route (a
/// child's records reached from the parent).
///
/// Built once at start-up. [`DataMapBuilder::build`] fails, naming each one, on any
/// registered type (every non-generic type that derives `PersonalData`, in any crate of the
/// program) that no store holds and that is not declared
/// [never stored](DataMapBuilder::never_stored): a record type forgotten in the map is an
/// error at start-up (and in the service's own test, [`assert_complete`]), not a record
/// that is never erased. Types nested in a mapped type (`#[personal(nested)]`) are covered
/// by it.
///
/// ```
/// use privacy_core::requests::{DataMap, SqliteRecordStore};
/// use privacy_core::PersonalData;
/// use serde::{Deserialize, Serialize};
/// use std::sync::Arc;
///
/// #[derive(PersonalData, Serialize, Deserialize)]
/// #[personal(subject = "customer")]
/// struct Customer {
///     #[personal(subject_id)]
///     id: String,
///     #[personal(category = "contact.email", encrypt)]
///     email: String,
/// }
///
/// /// What the sign-up endpoint receives: never stored as such.
/// #[derive(PersonalData, Deserialize)]
/// struct SignupRequest {
///     #[personal(category = "contact.email")]
///     email: String,
/// }
///
/// # let dir = std::env::temp_dir().join(format!("map-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let store = Arc::new(SqliteRecordStore::open(dir.join("records.db"))?);
/// let map = DataMap::builder()
///     .store::<Customer>(store.clone())
///     .never_stored::<SignupRequest>()
///     .build()?;
/// assert_eq!(map.records::<Customer>()?.table(), "privacy_customer");
///
/// // Forgetting a type is an error that names it.
/// let err = DataMap::builder().store::<Customer>(store).build().unwrap_err();
/// assert!(err.to_string().contains("SignupRequest"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// **Generic types are not registered** (a registration names one concrete type): add
/// each stored instantiation with [`store`](DataMapBuilder::store) yourself; the
/// completeness check cannot see a forgotten one.
pub struct DataMap {
    entries: Vec<Entry>,
}

struct Entry {
    type_id: TypeId,
    records: Arc<dyn ErasedRecords>,
}

impl DataMap {
    /// A builder with no type.
    pub fn builder() -> DataMapBuilder {
        DataMapBuilder {
            stored: Vec::new(),
            never: Vec::new(),
            routes: Vec::new(),
            batch: DEFAULT_BATCH,
        }
    }

    /// The typed records of `T`.
    pub fn records<T: Storable>(&self) -> Result<&Records<T>, RequestError> {
        self.entries
            .iter()
            .find(|e| e.type_id == TypeId::of::<T>())
            .and_then(|e| e.records.as_any().downcast_ref::<Records<T>>())
            .ok_or(RequestError::NotMapped {
                type_name: type_name::<T>(),
            })
    }

    /// The schema of every stored type, in the order they were added.
    pub fn schemas(&self) -> impl Iterator<Item = &'static RecordSchema> + '_ {
        self.entries.iter().map(|e| e.records.schema())
    }

    pub(crate) fn erased(&self) -> impl Iterator<Item = &dyn ErasedRecords> {
        self.entries.iter().map(|e| &*e.records)
    }
}

impl fmt::Debug for DataMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| e.records.schema().name))
            .finish()
    }
}

type Make = Box<dyn FnOnce(Option<Box<dyn Any>>, usize) -> Arc<dyn ErasedRecords>>;

struct Pending {
    type_id: TypeId,
    type_name: &'static str,
    schema: &'static RecordSchema,
    store: Arc<dyn RecordStore>,
    make: Make,
}

struct PendingRoute {
    type_id: TypeId,
    type_name: &'static str,
    route: Box<dyn Any>,
}

/// Builds a [`DataMap`]: see there.
pub struct DataMapBuilder {
    stored: Vec<Pending>,
    never: Vec<(TypeId, &'static RecordSchema)>,
    routes: Vec<PendingRoute>,
    batch: usize,
}

impl fmt::Debug for DataMapBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataMapBuilder")
            .field(
                "stored",
                &self.stored.iter().map(|p| p.type_name).collect::<Vec<_>>(),
            )
            .field("never_stored", &self.never.len())
            .field("routes", &self.routes.len())
            .finish_non_exhaustive()
    }
}

impl DataMapBuilder {
    /// `T`'s records live in `store`, in the table [`table_name`] gives its record name.
    #[must_use]
    pub fn store<T: Storable>(mut self, store: impl RecordStore + 'static) -> DataMapBuilder {
        let store: Arc<dyn RecordStore> = Arc::new(store);
        let table = table_name(T::schema().name);
        let shared = Arc::clone(&store);
        self.stored.push(Pending {
            type_id: TypeId::of::<T>(),
            type_name: type_name::<T>(),
            schema: T::schema(),
            store,
            make: Box::new(move |route, batch| {
                let route = route.and_then(|r| r.downcast::<Route<T>>().ok().map(|r| *r));
                Arc::new(Records::<T>::new(shared, table, route, batch))
            }),
        });
        self
    }

    /// Declares a route: each record of `T` links to a subject of kind `kind`, whose id
    /// `link` returns.
    ///
    /// - When `T` has a `subject_id` field, its subject is in the care of that other subject
    ///   (a child's profile links the child to the parent): a request about the parent also
    ///   covers the child, and every record filed under the child.
    /// - When `T` has none, `link` names the subject its records belong to: they are filed
    ///   under it (such a type cannot have `encrypt` fields: sealing binds them to a subject
    ///   id of the record).
    #[must_use]
    pub fn route<T: Storable>(
        mut self,
        kind: &'static str,
        link: impl Fn(&T) -> Option<String> + Send + Sync + 'static,
    ) -> DataMapBuilder {
        self.routes.push(PendingRoute {
            type_id: TypeId::of::<T>(),
            type_name: type_name::<T>(),
            route: Box::new(Route::<T> {
                kind,
                link: Arc::new(link),
            }),
        });
        self
    }

    /// `T` is never stored (a request or response body, a value computed on the fly): the
    /// completeness check does not ask for a store.
    #[must_use]
    pub fn never_stored<T: crate::PersonalData + 'static>(mut self) -> DataMapBuilder {
        self.never.push((TypeId::of::<T>(), T::schema()));
        self
    }

    /// How many records a page read or a batch write handles (default
    /// [`DEFAULT_BATCH`](super::DEFAULT_BATCH)).
    #[must_use]
    pub fn batch_size(mut self, batch: usize) -> DataMapBuilder {
        self.batch = batch.max(1);
        self
    }

    /// Checks the map without touching a store: every problem [`build`](Self::build) would
    /// report.
    pub fn check(&self) -> Result<(), DataMapError> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(DataMapError { problems })
        }
    }

    /// Checks the map, creates every table, and builds it.
    pub fn build(self) -> Result<DataMap, DataMapError> {
        self.check()?;
        let DataMapBuilder {
            stored,
            mut routes,
            batch,
            ..
        } = self;
        let mut entries = Vec::with_capacity(stored.len());
        for pending in stored {
            let table = table_name(pending.schema.name);
            pending
                .store
                .ensure_table(&table)
                .map_err(|source| DataMapError {
                    problems: vec![Problem::Store {
                        record: pending.schema.name,
                        source,
                    }],
                })?;
            let route = routes
                .iter()
                .position(|r| r.type_id == pending.type_id)
                .map(|i| routes.swap_remove(i).route);
            entries.push(Entry {
                type_id: pending.type_id,
                records: (pending.make)(route, batch),
            });
        }
        Ok(DataMap { entries })
    }

    fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mapped: Vec<(TypeId, &'static RecordSchema)> = self
            .stored
            .iter()
            .map(|p| (p.type_id, p.schema))
            .chain(self.never.iter().copied())
            .collect();
        // Record names reached by nesting from a mapped type.
        let mut nested = Vec::new();
        for (_, schema) in &mapped {
            collect_nested(schema, &mut nested);
        }
        for reg in registered() {
            let schema = reg.schema();
            let covered =
                mapped.iter().any(|(id, _)| *id == reg.type_id()) || nested.contains(&schema.name);
            if !covered {
                problems.push(Problem::Unmapped {
                    path: reg.path(),
                    record: schema.name,
                });
            }
        }
        // One record name per type, and one table per record name.
        let mut names: BTreeMap<&str, (TypeId, &str)> = BTreeMap::new();
        for reg in registered() {
            let name = reg.schema().name;
            match names.get(name) {
                Some((id, first)) if *id != reg.type_id() => problems.push(Problem::SameName {
                    name,
                    first,
                    second: reg.path(),
                }),
                Some(_) => {}
                None => {
                    names.insert(name, (reg.type_id(), reg.path()));
                }
            }
        }
        let mut tables: BTreeMap<String, (TypeId, &str)> = BTreeMap::new();
        for p in &self.stored {
            let table = table_name(p.schema.name);
            match tables.get(&table) {
                Some((id, _)) if *id == p.type_id => problems.push(Problem::StoredTwice {
                    type_name: p.type_name,
                }),
                Some((_, first)) => problems.push(Problem::SameTable {
                    table: table.clone(),
                    first,
                    second: p.type_name,
                }),
                None => {
                    tables.insert(table, (p.type_id, p.type_name));
                }
            }
            let routed = self.routes.iter().any(|r| r.type_id == p.type_id);
            if !has_subject_field(p.schema) && !routed {
                problems.push(Problem::NoSubject {
                    type_name: p.type_name,
                });
            }
        }
        for r in &self.routes {
            if !self.stored.iter().any(|p| p.type_id == r.type_id) {
                problems.push(Problem::RouteWithoutStore {
                    type_name: r.type_name,
                });
            }
        }
        problems
    }
}

fn collect_nested(schema: &'static RecordSchema, out: &mut Vec<&'static str>) {
    for f in schema.fields {
        if let Some(n) = f.nested {
            if !out.contains(&n.name) {
                out.push(n.name);
                collect_nested(n, out);
            }
        }
    }
}

/// Fails with every problem of the map the builder describes, one per line: the check a
/// service runs in its own test suite, so a type added without a store fails CI.
///
/// ```should_panic
/// use privacy_core::{requests::{assert_complete, DataMap}, PersonalData};
///
/// #[derive(PersonalData)]
/// struct Forgotten {
///     #[personal(subject_id)]
///     id: u64,
/// }
///
/// assert_complete(&DataMap::builder()); // panics: "Forgotten ... no store holds it"
/// ```
///
/// # Panics
/// When the map is incomplete or inconsistent.
#[allow(clippy::panic)]
pub fn assert_complete(builder: &DataMapBuilder) {
    if let Err(e) = builder.check() {
        panic!("{e}");
    }
}

/// Why a [`DataMap`] could not be built: every problem found, each naming the types
/// concerned.
#[derive(Debug)]
pub struct DataMapError {
    /// The problems, in the order found.
    pub problems: Vec<Problem>,
}

impl fmt::Display for DataMapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the data map is incomplete or inconsistent:")?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DataMapError {}

/// One problem of a data map.
#[derive(Debug)]
#[non_exhaustive]
pub enum Problem {
    /// A registered type no store holds, not declared never stored, not nested in a mapped
    /// type.
    Unmapped {
        /// The type's path.
        path: &'static str,
        /// Its record name.
        record: &'static str,
    },
    /// Two types share a record name.
    SameName {
        /// The record name.
        name: &'static str,
        /// One type's path.
        first: &'static str,
        /// The other's.
        second: &'static str,
    },
    /// Two stored types map to one table.
    SameTable {
        /// The table.
        table: String,
        /// One type.
        first: &'static str,
        /// The other.
        second: &'static str,
    },
    /// A type added to the map twice.
    StoredTwice {
        /// The type.
        type_name: &'static str,
    },
    /// A stored type without a `subject_id` field and without a route.
    NoSubject {
        /// The type.
        type_name: &'static str,
    },
    /// A route declared for a type no store holds.
    RouteWithoutStore {
        /// The type.
        type_name: &'static str,
    },
    /// A store could not create the type's table.
    Store {
        /// The record name.
        record: &'static str,
        /// What the store said.
        source: StoreError,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unmapped { path, record } => write!(
                f,
                "{path} (record `{record}`) derives PersonalData but no store holds it: add it with `.store::<{record}>(..)` or declare `.never_stored::<{record}>()`"
            ),
            Problem::SameName { name, first, second } => write!(
                f,
                "{first} and {second} have the same record name `{name}`: pin another with #[personal(name = \"...\")]"
            ),
            Problem::SameTable { table, first, second } => {
                write!(f, "{first} and {second} would share the table `{table}`")
            }
            Problem::StoredTwice { type_name } => write!(f, "{type_name} is stored twice"),
            Problem::NoSubject { type_name } => write!(
                f,
                "{type_name} is stored but has no #[personal(subject_id)] field and no route: its records could not be found for a person"
            ),
            Problem::RouteWithoutStore { type_name } => {
                write!(f, "a route is declared for {type_name}, which no store holds")
            }
            Problem::Store { record, source } => write!(f, "{record}: {source}"),
        }
    }
}

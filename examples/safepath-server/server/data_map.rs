//! The data map: **the one place that lists the service's record types**. Every stored type
//! is added with its store (one `SqliteRecordStore` over the application's database), the
//! children are reached through their parent by a declared route, and the request bodies
//! are declared never stored. Access, deletion and the retention sweep all work from this
//! list; none names a record type of its own.
//!
//! `DataMap::build` fails at start-up, naming it, on a `PersonalData` type of this program
//! that is neither stored nor declared never stored.

use std::sync::Arc;

use privacy_core::requests::{DataMap, DataMapBuilder, DataMapError, RecordStore, Storable};
use privacy_core::PersonalData;

use super::input::{CheckIn, ChildInput, ParentUpdate, Ping, SignUp};
use super::model::{
    ChildProfile, Device, ErrorReport, Invoice, LocationPing, MarketingPreference, ParentAccount,
};
use super::sweep::{self, Sweep};

/// The service's data map, declared: the builder and, for each stored type, its retention
/// sweep.
pub fn declare(store: &Arc<dyn RecordStore>, batch: usize) -> Mapped {
    Mapped::new(store, batch)
        .store::<ParentAccount>()
        .store::<MarketingPreference>()
        .store::<Invoice>()
        .store::<ChildProfile>()
        .store::<Device>()
        .store::<LocationPing>()
        .store::<ErrorReport>()
        .route::<ChildProfile>(|child| Some(child.parent_id.clone()))
        .never_stored::<SignUp>()
        .never_stored::<ParentUpdate>()
        .never_stored::<ChildInput>()
        .never_stored::<Ping>()
        .never_stored::<CheckIn>()
}

/// A data map being declared, with the sweep of each stored type beside it.
pub struct Mapped {
    store: Arc<dyn RecordStore>,
    builder: DataMapBuilder,
    sweeps: Vec<Sweep>,
}

impl Mapped {
    fn new(store: &Arc<dyn RecordStore>, batch: usize) -> Mapped {
        Mapped {
            store: Arc::clone(store),
            builder: DataMap::builder().batch_size(batch),
            sweeps: Vec::new(),
        }
    }

    /// `T` is stored in the application's database, and swept for retention.
    fn store<T: Storable>(mut self) -> Mapped {
        self.builder = self.builder.store::<T>(Arc::clone(&self.store));
        self.sweeps.push(sweep::of_type::<T>);
        self
    }

    /// Records of `T` link to a parent, whose id `link` returns: a request about the
    /// parent covers them (and everything filed under their subject).
    fn route<T: Storable>(
        mut self,
        link: impl Fn(&T) -> Option<String> + Send + Sync + 'static,
    ) -> Mapped {
        self.builder = self
            .builder
            .route::<T>(ParentAccount::schema().subject_kind, link);
        self
    }

    /// `T` is never stored (a request body).
    fn never_stored<T: PersonalData + 'static>(mut self) -> Mapped {
        self.builder = self.builder.never_stored::<T>();
        self
    }

    /// Checks the map without touching the store (the completeness test).
    #[allow(dead_code)] // used by tests/safepath_server.rs
    pub fn check(&self) -> Result<(), DataMapError> {
        self.builder.check()
    }

    /// Builds the map (creating the tables) and hands back the sweeps.
    pub fn build(self) -> Result<(DataMap, Vec<Sweep>), DataMapError> {
        Ok((self.builder.build()?, self.sweeps))
    }
}

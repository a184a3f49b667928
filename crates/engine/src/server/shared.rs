//! What every connection of one server shares.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::load::Load;
use crate::{App, Dispatch};

/// State shared by every connection of one server.
pub(crate) struct Shared {
    pub(crate) app: App,
    pub(crate) dispatch: Arc<dyn Dispatch>,
    pub(crate) load: Arc<Load>,
    /// Set when the server closes the connections left past its grace
    /// period: the calls they drop ended for that, not for their clients.
    pub(crate) closing: AtomicBool,
}

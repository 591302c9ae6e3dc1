//! The read-only queries that `http/` and `cli/` may call directly (pages, collections,
//! reports). Nothing re-exported here writes; every change goes through `app/`.

pub use super::{environment_problem, ready, server_clock};

pub mod cosign {
    pub use crate::db::cosign::{SignatureRow, Tally, current, history, ledger, sizes, tally};
}

pub mod signatories {
    pub use crate::db::signatories::{SignatoryRow, all, count};
}

pub mod ledger_heads {
    pub use crate::db::ledger_heads::{HeadRow, get};
}

pub mod deliveries {
    pub use crate::db::deliveries::{authority, outbox_count, outbox_page, public_activity};
    pub use crate::db::delivery_reports::{
        ActivityProgress, FailedDelivery, HostProgress, WaitProgress, activity_hosts, any_leased,
        failed, gauges, hosts, progress, progress_of, wait_progress,
    };
}

pub mod followers {
    pub use crate::db::followers::{FollowState, FollowerRow, count, page};
}

pub mod following {
    pub use crate::db::following::{FollowingRow, count_accepted, page};
}

pub mod relays {
    pub use crate::db::relays::{MemberRow, PendingRow, RelayRow, members, pending, relays};
}

pub mod remote_actors {
    pub use crate::db::remote_actors::{RemoteActorRow, find_by_handle, get};
}

pub mod statements {
    pub use crate::db::statements::{
        StatementRow, VersionDetails, VersionRow, count_published, get, list, media, pinned,
        version, versions,
    };
}

pub mod accounts {
    pub use crate::db::accounts::{AccountRow, count, get, list, session_count};
    pub use crate::db::api_tokens::{TokenRow, of as tokens_of};
    pub use crate::db::audit::{AuditRow, page as audit_page};
}

//! How long a statement may be, as read and as sent (docs/interop.md §10).

use serde_json::Value;

use super::{MAX_STATEMENT_IMAGE, StatementError};
use crate::{
    domain::statement::{Federate, InputError, StatementDraft},
    protocol::note as wire,
    state::AppState,
};

/// Refuse a statement with a language over `statements.max_bytes_per_language`.
pub fn check_size(state: &AppState, draft: &StatementDraft) -> Result<(), StatementError> {
    let limit = state.settings.statements.max_bytes_per_language;
    draft.check_size(limit).map_err(StatementError::TooLong)
}

/// The largest statement read at all (a file, an admin API body): every language at its limit
/// twice over (escapes), an image in base64 and a mebibyte more. Below it, a long text is
/// refused by `check_size`, which names the language.
pub fn max_request_bytes(state: &AppState) -> usize {
    let limit = state.settings.statements.max_bytes_per_language;
    2 * state.coalition.languages.len() * limit + MAX_STATEMENT_IMAGE * 4 / 3 + 1024 * 1024
}

/// Refuse a Note that servers would refuse: over `MAX_NOTE_BYTES`, Misskey answers 413 to
/// every delivery (docs/interop.md §10).
pub(super) fn check_wire_size(note: &Value, federate: Federate) -> Result<(), StatementError> {
    let bytes = note.to_string().len();
    if bytes <= wire::MAX_NOTE_BYTES {
        return Ok(());
    }
    let hint = match federate {
        Federate::Full => {
            "; federate = \"excerpt\" sends each language's opening and a link instead"
        }
        Federate::Excerpt => "",
    };
    Err(StatementError::TooLong(InputError {
        field: "federate".into(),
        problem: format!(
            "the Note would have {bytes} bytes, over the {} bytes that every server takes{hint}",
            wire::MAX_NOTE_BYTES
        ),
    }))
}

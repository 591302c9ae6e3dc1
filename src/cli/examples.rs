//! The examples `tribune help GROUP` ends with: a few typical uses of each command group.

pub const EXPORT: &str = "Examples:
  tribune export --output tribune.json
  tribune export --include-keys --output tribune-with-keys.json";

pub const IMPORT: &str = "Examples:
  tribune --config postgres.toml import tribune-with-keys.json
  tribune import tribune.json --new-keys";

pub const STATEMENT: &str = "Examples:
  tribune statement new appel-2026 --output appel.md
  tribune statement publish appel.md --wait
  tribune statement edit appel-2026 appel.md
  tribune statement diff appel-2026 --from 1
  tribune statement pin appel-2026";

pub const MEMBERS: &str = "Examples:
  tribune members add @asso@example.org
  tribune members remove https://example.org/users/asso
  tribune members list";

pub const RELAY: &str = "Examples:
  tribune relay pending
  tribune relay approve https://example.org/users/asso/statuses/1
  tribune relay reject https://example.org/users/asso/statuses/2";

pub const COSIGNERS: &str = "Examples:
  tribune cosigners list appel-2026 --format csv
  tribune cosigners verify appel-2026
  tribune cosigners hide appel-2026 @troll@example.org --reason \"not a signature\"
  tribune cosigners unhide appel-2026 @troll@example.org";

pub const SIGNATORIES: &str = "Examples:
  tribune signatories add appel-2026 --name \"Ada Lovelace\" --organisation \"Asso A\"
  tribune signatories import appel-2026 signatures.csv --source https://journal.example/tribune
  tribune signatories list appel-2026 --format json
  tribune signatories remove appel-2026 3";

pub const LEDGER: &str = "Examples:
  tribune ledger export appel-2026 --output appel-ledger.json
  tribune ledger verify appel-ledger.json --key z6Mk…";

pub const DELIVERIES: &str = "Examples:
  tribune deliveries
  tribune deliveries --failed --limit 50
  tribune deliveries retry example.org";

pub const FOLLOWERS: &str = "Examples:
  tribune followers list
  tribune followers pending
  tribune followers approve @alice@example.org
  tribune followers remove https://example.org/users/bob";

pub const FOLLOWING: &str = "Examples:
  tribune following add @asso@example.org
  tribune following list
  tribune following remove @asso@example.org";

pub const KEYS: &str = "Examples:
  tribune keys rotate";

pub const ADMIN: &str = "Examples:
  tribune admin add camille --role owner
  tribune admin list
  tribune admin role camille editor
  tribune admin disable camille";

pub const BLOCK: &str = "Examples:
  tribune block domain add spam.example
  tribune block actor add @troll@example.org
  tribune block domain list";

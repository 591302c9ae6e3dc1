//! Integration tests: the real server over HTTP, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod hostile;
mod peer;
mod webdriver;

mod admin_api;
mod admin_browser;
mod admin_cli;
mod admin_deliveries;
mod admin_moderation;
mod admin_statements;
mod admin_web;
mod archive;
mod browser;
mod cli;
mod cosign;
mod crash;
mod deliveries;
mod diff;
mod discovery;
mod fanout;
mod fixtures;
mod follows;
mod layout;
mod ledger;
mod likes;
mod long_statements;
mod one_signature;
mod pages;
mod relay;
mod schema;
mod signatories;
mod statements;
mod storage;
mod two_instances;

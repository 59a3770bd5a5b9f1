//! The `tanggap` binary's tests, as one test binary (each separate binary costs a link on two
//! cores): the JSON API, the pages, the background jobs and the command line, run against the
//! real application over HTTP on SQLite and on PostgreSQL, and the browser tests in headless
//! Chromium.

mod common;

mod accounts;
mod api_access;
mod api_errors;
mod api_story;
mod background_jobs;
mod browser;
mod chat;
mod cli;
mod compliance;
mod content_safety;
mod delivery;
mod doors;
mod fakes;
mod page_uploads;
mod receipts;
mod reporters_safe;
mod transport;
mod ui_pages;

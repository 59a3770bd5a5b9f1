//! The `tanggap` binary's tests, as one test binary (each separate binary costs a link on two
//! cores): the JSON API, the pages, the background jobs and the command line, run against the
//! real application over HTTP on SQLite and on PostgreSQL, and the browser tests in headless
//! Chromium.

mod common;

mod accounts;
mod api_access;
mod api_errors;
mod api_story;
mod assistant;
mod background_jobs;
mod backup;
mod browser;
mod browser_a11y;
mod browser_citizen;
mod browser_dashboards;
mod browser_staff;
mod chat;
mod citizen_pages;
mod cli;
mod compliance;
mod connectors;
mod content_safety;
mod dashboard_pages;
mod delivery;
mod doors;
mod english_pages;
mod fakes;
mod injection;
mod injection_doors;
mod leadership_digest;
mod open311;
mod operations;
mod page_uploads;
mod public_dashboard;
mod rakor_example;
mod rakor_snapshots;
mod read_plans;
mod receipts;
mod reporters_safe;
mod staff_pages;
mod transport;
mod ui_pages;

//! The one integration-test binary of the shell. Each module is a feature; store and
//! projection behaviour runs once per backend through `support::backend_tests!`.

mod api;
mod backup;
mod bench;
mod browser;
mod browser_work;
mod cli;
mod compliance;
mod concurrency;
mod copy;
mod crash;
mod evidence;
mod export_python;
mod faults;
mod fixtures;
mod forms;
mod fuzz;
mod history;
mod hostile;
mod https;
mod merkle;
mod migrations;
mod nodes;
mod offline;
mod outside;
mod projections;
mod register_send;
mod rules;
mod serve;
mod stall;
mod store_contract;
mod support;
mod tamper;
mod tidy;
mod vault;
mod witness;

/**
 * Retention: the global → tenant → dataset policy hierarchy per table type, cutoffs, partition drops
 * and snapshot expiration (the SignalDB runbook's three tiers).
 */
package dev.lakelifecycle.api.retention;

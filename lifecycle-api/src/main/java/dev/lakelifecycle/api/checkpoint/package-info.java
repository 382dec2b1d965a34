/**
 * The checkpoint store SPI: durable state of resumable operations with compare-and-set on a version,
 * and leases that let many workers share work.
 */
package dev.lakelifecycle.api.checkpoint;

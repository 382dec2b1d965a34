/** Staging: accepting record batches from the host application and flushing them to Parquet. */
package dev.lakelifecycle.api.staging;

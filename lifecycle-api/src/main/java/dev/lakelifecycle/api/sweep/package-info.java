/** Orphan sweeping: deleting files under a table's location that no retained snapshot references. */
package dev.lakelifecycle.api.sweep;

/** Compaction: rewriting many small data files of a partition into few large ones, resumably. */
package dev.lakelifecycle.api.compaction;

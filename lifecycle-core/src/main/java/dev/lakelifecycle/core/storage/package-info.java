/**
 * The embedded object stores: {@link dev.lakelifecycle.core.storage.LocalObjectStore}, an
 * {@link dev.lakelifecycle.api.storage.ObjectStore} on a local directory with atomic, conditional writes,
 * and its {@link dev.lakelifecycle.core.storage.LocalObjectStoreProvider} for {@code file:} locations.
 */
package dev.lakelifecycle.core.storage;

/**
 * The storage SPI: {@link dev.lakelifecycle.api.storage.ObjectStore}, where bytes live, and
 * {@link dev.lakelifecycle.api.storage.ObjectStoreProvider}, how one is found by URI scheme.
 */
package dev.lakelifecycle.api.storage;

package dev.lakelifecycle.api;

/** The object at the named key does not exist (or was deleted between a listing and a read). */
public class ObjectNotFoundException extends StorageException {
  private static final long serialVersionUID = 1L;

  public ObjectNotFoundException(String message) {
    super(message);
  }
}

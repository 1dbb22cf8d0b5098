"""Operations: logging, metrics, health."""

"""StUF 03.01 envelope rules: stuurgegevens, Bv03/Fo0x answers, fault codes, the StUF016 rule."""

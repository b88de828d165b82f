"""Environment families: ``ac`` (Andrews–Curtis), ``reasoning``, ``metamath``, ``lean``."""

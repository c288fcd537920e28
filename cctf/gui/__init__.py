"""The desktop app: PySide6 + pyqtgraph views over the session models (the only package
that imports Qt). Entry point: ``cctf.gui.main.run_app``; the design is in docs/app.md."""

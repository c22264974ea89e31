{
  "targets": [
    {
      "target_name": "skiff_sendfile",
      "sources": ["sendfile.c"],
      "cflags": ["-O2", "-Wall"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}

"""thidua: a chatbot for Vietnamese emulation clusters (cụm/khối thi đua)."""

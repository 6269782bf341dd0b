core.register_service("hello", "http", function(applet)
  local body = "hello from lua\n"
  applet:set_status(200)
  applet:add_header("content-length", string.len(body))
  applet:start_response()
  applet:send(body)
end)

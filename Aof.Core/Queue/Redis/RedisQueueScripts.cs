namespace Aof.Core.Queue.Redis;

/// <summary>
/// The Lua scripts of the Redis backend: each state change of a message is one atomic script, one round trip.
/// Stream entries carry: id (our ULID), body, a (attempt of its first delivery from this entry), mr (max
/// retries), t (enqueued unix ms). Lane numbers are 1 high, 2 normal, 3 low (KEYS order of the lanes).
/// StackExchange.Redis sends these as EVALSHA once the server knows them.
/// </summary>
internal static class RedisQueueScripts
{
    // Reads one field of an XRANGE entry's flat field list.
    private const string FieldFn = """
        local function field(flat, name)
          for i = 1, #flat, 2 do if flat[i] == name then return flat[i + 1] end end
          return nil
        end
        """;

    // Server clock in unix ms, so delays do not depend on the skew between hosts.
    private const string NowFn = """
        local function nowms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        """;

    /// <summary>
    /// Publishes a batch of publish requests (group commit: many webhooks, one script run).
    /// KEYS: lane1, lane2, lane3, the queued-records hash, then the dedup keys the requests use.
    /// ARGV: enqueued ms, dedup window ms, request count, the record key prefix, then per request: its dedup key's KEYS
    /// index (0: none) and its message count n, then n times: id, lane number, max retries, body, the queued record as
    /// JSON ('' for none; its key is the prefix + id).
    /// Returns two entries per request: 0 and '' when stored, 1 and the ids stored the first time when its dedup
    /// key was already taken (also by an earlier request of the same batch); a duplicate writes nothing. The dedup key
    /// holds the request's ids joined by '\n'. Every queued record of the batch goes into one HSET: a redis.call costs
    /// more than the fields it writes.
    /// </summary>
    public const string PublishBatch = """
        local out, records = {}, {}
        local a = 5
        for r = 1, tonumber(ARGV[3]) do
          local dk, n = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
          a = a + 2
          local dup = false
          if dk > 0 then
            local ids = {}
            for i = 0, n - 1 do ids[i + 1] = ARGV[a + 5 * i] end
            if not redis.call('SET', KEYS[dk], table.concat(ids, '\n'), 'NX', 'PX', ARGV[2]) then
              dup = true
              out[#out + 1] = 1
              out[#out + 1] = redis.call('GET', KEYS[dk]) or ''
            end
          end
          if not dup then
            out[#out + 1] = 0
            out[#out + 1] = ''
            for i = 1, n do
              redis.call('XADD', KEYS[tonumber(ARGV[a + 1])], '*',
                'id', ARGV[a], 'body', ARGV[a + 3], 'a', '1', 'mr', ARGV[a + 2], 't', ARGV[1])
              if ARGV[a + 4] ~= '' then
                records[#records + 1] = ARGV[4] .. ARGV[a]
                records[#records + 1] = ARGV[a + 4]
              end
              a = a + 5
            end
          else
            a = a + 5 * n
          end
        end
        if #records > 0 then redis.call('HSET', KEYS[4], unpack(records)) end
        return out
        """;

    /// <summary>
    /// KEYS: lane, queued-records hash. ARGV: group, entry id, the message's record key. XACK + XDEL so the stream stays
    /// bounded; a queued record that no store write moved (every one of them failed) goes too, so none is left behind.
    /// </summary>
    public const string Ack = """
        local n = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        redis.call('XDEL', KEYS[1], ARGV[2])
        redis.call('HDEL', KEYS[2], ARGV[3])
        return n
        """;

    /// <summary>
    /// KEYS: lane, delayed zset, delayed hash. ARGV: group, entry id, message id, delay ms, next attempt, lane number.
    /// Moves the entry into the delayed set. Returns 0 when the entry was no longer pending.
    /// </summary>
    public const string Nack = FieldFn + "\n" + NowFn + "\n" + """
        if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
        local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
        redis.call('XDEL', KEYS[1], ARGV[2])
        if #e == 0 then return 0 end
        local f = e[1][2]
        local id = ARGV[3]
        redis.call('HSET', KEYS[3], id .. ':l', ARGV[6], id .. ':a', ARGV[5], id .. ':mr', field(f, 'mr'),
          id .. ':t', field(f, 't'), id .. ':b', field(f, 'body'))
        redis.call('ZADD', KEYS[2], nowms() + tonumber(ARGV[4]), id)
        return 1
        """;

    /// <summary>
    /// KEYS: delayed zset, delayed hash, lane1, lane2, lane3. ARGV: max to move.
    /// Moves delayed messages that are due back onto their lanes. Returns how many moved.
    /// </summary>
    public const string PromoteDue = NowFn + "\n" + """
        local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', nowms(), 'LIMIT', 0, tonumber(ARGV[1]))
        for _, id in ipairs(ids) do
          local m = redis.call('HMGET', KEYS[2], id .. ':l', id .. ':a', id .. ':mr', id .. ':t', id .. ':b')
          if m[1] and m[5] then
            redis.call('XADD', KEYS[2 + tonumber(m[1])], '*', 'id', id, 'body', m[5], 'a', m[2], 'mr', m[3], 't', m[4])
          end
          redis.call('HDEL', KEYS[2], id .. ':l', id .. ':a', id .. ':mr', id .. ':t', id .. ':b')
          redis.call('ZREM', KEYS[1], id)
        end
        return #ids
        """;

    /// <summary>
    /// KEYS: lane, dlq stream, dlq index. ARGV: group, entry id, message id, reason, error ('' for none),
    /// attempts, lane name. Returns 0 when the entry was no longer pending.
    /// </summary>
    public const string DeadLetter = FieldFn + "\n" + NowFn + "\n" + """
        if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
        local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
        redis.call('XDEL', KEYS[1], ARGV[2])
        if #e == 0 then return 0 end
        local f = e[1][2]
        local old = redis.call('HGET', KEYS[3], ARGV[3])
        if old then redis.call('XDEL', KEYS[2], old) end
        local args = {KEYS[2], '*', 'id', ARGV[3], 'body', field(f, 'body'), 'lane', ARGV[7], 'reason', ARGV[4],
          'attempts', ARGV[6], 'at', tostring(nowms()), 'mr', field(f, 'mr')}
        if ARGV[5] ~= '' then table.insert(args, 'error'); table.insert(args, ARGV[5]) end
        local did = redis.call('XADD', unpack(args))
        redis.call('HSET', KEYS[3], ARGV[3], did)
        return 1
        """;

    /// <summary>
    /// KEYS: lane. ARGV: group, entry id, attempt. Gives the entry back at once: re-added at the lane's tail with
    /// the same attempt. Returns 0 when the entry was no longer pending.
    /// </summary>
    public const string Release = FieldFn + "\n" + """
        if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
        local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
        redis.call('XDEL', KEYS[1], ARGV[2])
        if #e == 0 then return 0 end
        local f = e[1][2]
        redis.call('XADD', KEYS[1], '*', 'id', field(f, 'id'), 'body', field(f, 'body'), 'a', ARGV[3],
          'mr', field(f, 'mr'), 't', field(f, 't'))
        return 1
        """;

    /// <summary>
    /// KEYS: dlq stream, dlq index, lane1, lane2, lane3. ARGV: message id, enqueued ms.
    /// Puts a dead letter back on its lane with attempt 1 and removes it from the DLQ. Returns 0 when unknown.
    /// </summary>
    public const string Replay = FieldFn + "\n" + """
        local did = redis.call('HGET', KEYS[2], ARGV[1])
        if not did then return 0 end
        local e = redis.call('XRANGE', KEYS[1], did, did)
        redis.call('HDEL', KEYS[2], ARGV[1])
        redis.call('XDEL', KEYS[1], did)
        if #e == 0 then return 0 end
        local f = e[1][2]
        local lanes = {high = 3, normal = 4, low = 5}
        local k = lanes[field(f, 'lane')] or 4
        redis.call('XADD', KEYS[k], '*', 'id', ARGV[1], 'body', field(f, 'body'), 'a', '1',
          'mr', field(f, 'mr') or '0', 't', ARGV[2])
        return 1
        """;

    /// <summary>KEYS: dlq stream, dlq index. ARGV: message id. Returns 0 when unknown.</summary>
    public const string Purge = """
        local did = redis.call('HGET', KEYS[2], ARGV[1])
        if not did then return 0 end
        redis.call('HDEL', KEYS[2], ARGV[1])
        return redis.call('XDEL', KEYS[1], did)
        """;

    /// <summary>KEYS: dlq stream, dlq index. ARGV: message id. Returns the entry's flat field list, or nil.</summary>
    public const string GetDeadLetter = """
        local did = redis.call('HGET', KEYS[2], ARGV[1])
        if not did then return nil end
        local e = redis.call('XRANGE', KEYS[1], did, did)
        if #e == 0 then return nil end
        return e[1][2]
        """;
}

# shellcheck shell=bash
# hooks at each of the 8 stages run in stage order, then name order, with the documented
# environment; their output on the console


# every hook appends its stage, name and environment to /run/qt-hooks.log (the report init
# prints it) and says hello on its stdout (the console); expanded by the hook, not here
# shellcheck disable=SC2016
HOOK_ENV_BODY='echo "qt-hook-out $SHAREDROOT_STAGE/$SHAREDROOT_HOOK"
echo "$SHAREDROOT_STAGE $SHAREDROOT_HOOK sysroot=$SHAREDROOT_SYSROOT root=$SHAREDROOT_ROOT_DEVICE fstype=$SHAREDROOT_ROOT_FSTYPE instance=$SHAREDROOT_INSTANCE mode=$SHAREDROOT_MODE debug=$SHAREDROOT_DEBUG home=$HOME path=$PATH qtenv=${qtenv:-unset} stdin=$(readlink /proc/self/fd/0)" >>/run/qt-hooks.log'

scenario() {
    local initrd=$QT_WORK/initramfs-$SC.img inst=$SCW/$SC.img log=$LOGS/$SC.log a b st args=() msg
    local want got i=0
    a=$(mk_hook 10-first 0755 "$HOOK_ENV_BODY"); b=$(mk_hook 20-second 0755 "$HOOK_ENV_BODY")
    for st in $HOOK_STAGES; do args+=(--hook "$st:$b" --hook "$st:$a"); done
    msg=$(qt_build_initramfs "$BUILD" "$initrd" "${args[@]}" 2>&1) || fail "mkinitramfs --hook: $msg"
    mkdir -p "$SCW"; new_inst "$inst"
    # qtenv=1: the kernel passes it to /init's environment; hooks must not inherit it
    showlog "$log"
    qt_boot "$log" "$initrd" "root=/dev/vda sharedroot.instance=/dev/vdb qtenv=1" \
        -drive "$(ro_disk "$BASE_IMG")" -drive "$(rw_disk "$inst")"
    check_report "$log" ext4; no_error "$log"
    want=$(for st in $HOOK_STAGES; do echo "$st 10-first"; echo "$st 20-second"; done)
    got=$(lgrep "$log" 'REPORT hook ' | sed 's/^.*REPORT hook //' | cut -d' ' -f1,2)
    [ "$got" = "$want" ] || fail "hooks ran in the order: $(echo "$got" | tr '\n' ',') expected $(echo "$want" | tr '\n' ',')"
    while read -r st h rest; do
        i=$((i + 1))
        case " $rest " in *" sysroot=/sysroot "*) ;; *) fail "$st/$h: SHAREDROOT_SYSROOT wrong: $rest" ;; esac
        case " $rest " in *" instance=/dev/vdb mode="*" debug=0 home=/ path=/usr/sbin:/usr/bin:/sbin:/bin qtenv=unset stdin=/dev/null "*) ;;
        *) fail "$st/$h: environment not as documented: $rest" ;; esac
        # the root device once the devices stage found it, its type after the root stage,
        # the mode once the instance stage decided it
        case $st in
        early)   want="root= fstype= instance=/dev/vdb mode= " ;;
        devices) want="root=/dev/vda fstype= instance=/dev/vdb mode= " ;;
        root)    want="root=/dev/vda fstype=ext4 instance=/dev/vdb mode= " ;;
        *)       want="root=/dev/vda fstype=ext4 instance=/dev/vdb mode=instance " ;;
        esac
        [[ " $rest " == *" $want"* ]] || fail "$st/$h: expected '$want' in: $rest"
    done < <(lgrep "$log" 'REPORT hook ' | sed 's/^.*REPORT hook //')
    [ $i = 16 ] || fail "$i hook runs logged, expected 16"
    for st in $HOOK_STAGES; do
        lgrep "$log" -q "sharedroot: hook 10-first: qt-hook-out $st/10-first" ||
            fail "the output of $st.d/10-first is not on the console with its prefix"
    done
    rm -f "$inst"
    pass
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IChannelErrors} from "../interfaces/IChannelErrors.sol";
import {ICMCCore} from "../interfaces/ICMCCore.sol";

/// @title CMCCore
/// @notice The channel's parties, its EIP-712 domain and signature checks.
/// @dev Channels are EIP-1167 clones: storage lives in the clone, code and immutables in the
/// mastercopy. EIP712 rebuilds the domain for every clone from `address(this)`, so each channel
/// signs in its own domain `{ "Connext", "2", chainId, channelAddress }` (DESIGN §4.3).
/// The reentrancy guard lives in transient storage (EIP-1153; the contracts target Cancun). A
/// clone runs no constructor, so a storage guard's slot stayed empty until a channel's first
/// guarded call wrote it, and every guarded call read it cold and wrote it twice; the transient
/// flag needs no initialised slot and costs a few hundred gas. Under the clone's DELEGATECALL
/// the flag is the clone's own, as its storage is; it is reset when the guarded call returns.
abstract contract CMCCore is IChannelErrors, ICMCCore, EIP712, ReentrancyGuardTransient {
    address private immutable _mastercopy;

    address internal _alice;
    address internal _bob;

    constructor() EIP712("Connext", "2") {
        _mastercopy = address(this);
    }

    /// @dev The mastercopy has no parties; money sent to it could never leave.
    modifier onlyViaProxy() {
        if (address(this) == _mastercopy) revert OnlyViaProxy();
        _;
    }

    /// @inheritdoc ICMCCore
    function setup(address alice, address bob) external onlyViaProxy {
        if (_alice != address(0)) revert AlreadySetup();
        if (alice == address(0) || bob == address(0) || alice == bob) revert InvalidParticipants(alice, bob);
        _alice = alice;
        _bob = bob;
    }

    /// @inheritdoc ICMCCore
    function getAlice() external view returns (address) {
        return _alice;
    }

    /// @inheritdoc ICMCCore
    function getBob() external view returns (address) {
        return _bob;
    }

    /// @dev Reverts unless `signature` over the typed-data digest of `structHash` is `signer`'s.
    /// ECDSA rejects malleable (high-s) and malformed signatures.
    function _requireSignature(bytes32 structHash, bytes calldata signature, address signer) internal view {
        _requireDigestSignature(_hashTypedDataV4(structHash), signature, signer);
    }

    function _requireDigestSignature(bytes32 digest, bytes calldata signature, address signer) internal pure {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError || recovered != signer) revert InvalidSignature(signer);
    }
}
